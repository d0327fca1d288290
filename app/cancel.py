"""A cancel token shared by the one who asks for work and the one who does it."""

from __future__ import annotations

import threading

from app.errors import Cancelled


class CancelToken:
    """Set once by `cancel()`; long operations check it between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()
