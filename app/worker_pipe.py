"""What the model and OCR worker processes share about talking to their parent."""

from __future__ import annotations

from multiprocessing.connection import Connection


def send_if_heard(conn: Connection, message: tuple) -> bool:
    """Send, or find that the parent is gone (killed while the worker loaded or worked): then
    the worker should just end, without a traceback on the terminal they shared."""
    try:
        conn.send(message)
    except OSError:  # BrokenPipeError and friends
        return False
    return True
