"""A cancel token shared by the one who asks for work and the one who does it."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from app.errors import Cancelled

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event as ProcessEvent


class CancelToken:
    """Set once by `cancel()`; long operations check it between steps. `event` may be one that
    another process sets (the OCR worker checks its parent's)."""

    def __init__(self, event: threading.Event | ProcessEvent | None = None) -> None:
        self._event = event if event is not None else threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()
