"""What the model and OCR worker processes share about talking to their parent."""

from __future__ import annotations

from multiprocessing.connection import Connection
from typing import Any


def send_if_heard(conn: Connection, message: tuple) -> bool:
    """Send, or find that the parent is gone (killed while the worker loaded or worked): then
    the worker should just end, without a traceback on the terminal they shared."""
    try:
        conn.send(message)
    except OSError:  # BrokenPipeError and friends
        return False
    return True


def receive_if_heard(conn: Connection) -> Any | None:
    """The parent's next request, or None when the parent is gone: its end of the pipe closed
    (EOF) or reset because it was killed."""
    try:
        return conn.recv()
    except (EOFError, OSError):
        return None
