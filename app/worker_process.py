"""The model's and the OCR's worker processes: how the parent starts, hears and ends one, and how
the worker answers a parent that may be gone."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Self

from app.cancel import CancelToken

POLL_INTERVAL = 0.05  # how often a waiting call looks at the caller's cancel token
KILL_GRACE = 2.0  # for the process to be reaped after SIGKILL

Message = tuple[Any, ...]


class WorkerSilent(Exception):
    """The worker sent nothing within the time limit."""


class WorkerDied(Exception):
    """The worker process ended."""

    def __init__(self, exitcode: int | None) -> None:
        super().__init__(f"exit code {exitcode}")
        self.exitcode = exitcode


@dataclass
class WorkerProcess:
    """A child process in a fresh interpreter, its end of the pipe (used by one thread at a time)
    and a cancel event it checks between steps."""

    process: multiprocessing.process.BaseProcess
    conn: Connection
    cancel: Any  # a multiprocessing Event
    _child_conn: Connection | None = field(default=None, repr=False)

    @classmethod
    def create(cls, target: Callable[..., None], args: tuple, name: str) -> Self:
        """A worker not started yet: `target(conn, cancel, *args)` will run in it."""
        # spawn, not fork: a fresh interpreter (safe with our threads, and works when frozen)
        context = multiprocessing.get_context("spawn")
        parent_conn, child_conn = context.Pipe()
        cancel = context.Event()
        process = context.Process(
            target=target, args=(child_conn, cancel, *args), name=name, daemon=True
        )
        return cls(process, parent_conn, cancel, child_conn)

    def start(self) -> None:
        self.process.start()
        self._child_conn.close()  # the worker's end lives on in the worker only

    def receive(self, timeout: float, cancel: CancelToken | None) -> Message | None:
        """The worker's next message; None once `cancel` is set. WorkerSilent if nothing comes
        within `timeout` seconds, WorkerDied if the process ends (what it sent first still
        arrives first)."""
        deadline = time.monotonic() + timeout
        while cancel is None or not cancel.cancelled:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerSilent()
            ready = wait(
                [self.conn, self.process.sentinel],
                min(remaining, POLL_INTERVAL) if cancel is not None else remaining,
            )
            if self.conn in ready:
                try:
                    return self.conn.recv()
                except (EOFError, OSError):
                    pass
            elif not ready:
                continue
            raise WorkerDied(self.process.exitcode)
        return None

    def kill(self) -> None:
        """Kill and reap the process, and close our end of the pipe. SIGKILL also ends a
        stopped or hung process, which SIGTERM would not."""
        if self.process.is_alive():
            self.process.kill()
            self.process.join(KILL_GRACE)
        self.conn.close()


def send_if_heard(conn: Connection, message: tuple) -> bool:
    """In the worker: send, or find that the parent is gone (killed while the worker loaded or
    worked): then the worker should just end, without a traceback on the terminal they shared."""
    try:
        conn.send(message)
    except OSError:  # BrokenPipeError and friends
        return False
    return True


def receive_if_heard(conn: Connection) -> Any | None:
    """In the worker: the parent's next request, or None when the parent is gone: its end of
    the pipe closed (EOF) or reset because it was killed."""
    try:
        return conn.recv()
    except (EOFError, OSError):
        return None
