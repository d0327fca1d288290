"""The OCR worker process as the caller sees it: started on first use (or by `warm_up()`), kept
warm, one page per request, and every wait bounded.

A page whose caller cancels is stopped at the worker's next step; a worker that does not
acknowledge within CANCEL_GRACE seconds, dies, or stays silent past a time limit is killed, that
page ends (Cancelled or OcrFailed) and the next page starts a fresh worker. `shutdown()` stops
the worker politely and runs at exit. No thread is ever started here: the caller's thread waits.

The same worker parses untrusted files (`parse_pages`, `render_pdf_page`, `find_pdf_text`):
past the ingest limits' deadlines it is killed and the file refused as taking too long to read.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.cancel import CancelToken
from app.errors import BadInput, Cancelled, FieldscribeError
from app.ingest import Page, Progress, limits
from app.ocr import worker as worker_module
from app.worker_process import Message, WorkerDied, WorkerProcess, WorkerSilent

if TYPE_CHECKING:
    from app.ocr.page import OcrPage

START_TIMEOUT = 120.0  # start Python, import RapidOCR, onnxruntime and OpenCV, create sessions
PAGE_TIMEOUT = 300.0  # a page of up to 50 megapixels, read up to three times, on a slow laptop
CANCEL_GRACE = 2.0
STOP_GRACE = 2.0


class OcrFailed(FieldscribeError):
    """The OCR process died or stopped answering; the next page starts a fresh one."""


@dataclass
class _Worker(WorkerProcess):
    ready: bool = False  # its "ready" message has arrived


class _Service:
    def __init__(self) -> None:
        self._state_lock = threading.Lock()  # guards _worker; held briefly (warm_up is GUI-safe)
        self._request_lock = threading.Lock()  # one page at a time, held for the whole page
        self._worker: _Worker | None = None

    def warm_up(self) -> None:
        with self._state_lock:
            if self._worker is None:
                self._worker = _start()

    def worker_pid(self) -> int | None:
        with self._state_lock:
            return None if self._worker is None else self._worker.process.pid

    def recognize(self, image: bytes, cancel: CancelToken | None, source: str) -> OcrPage:
        if cancel is not None:
            cancel.raise_if_cancelled()
        with self._request_lock:
            worker = self._ready_worker(cancel)
            worker.cancel.clear()  # cleared before sending, so a cancel can never be missed
            with contextlib.suppress(OSError):  # if it just died, _receive reports that
                worker.conn.send(("read", image, source))
            message = self._receive(worker, PAGE_TIMEOUT, cancel, f"reading {source}")
            if message is None:
                self._cancel_page(worker)
                raise Cancelled()
        if message[0] == "cancelled":  # shut down while reading
            raise Cancelled()
        if message[0] == "failed":
            raise message[1]
        return message[1]

    def parse(
        self,
        call: str,
        args: tuple,
        source: str,
        progress: Progress | None,
        cancel: CancelToken | None,
    ) -> Any:
        if cancel is not None:
            cancel.raise_if_cancelled()
        with self._request_lock:
            worker = self._ready_worker(cancel)
            worker.cancel.clear()
            with contextlib.suppress(OSError):  # if it just died, _receive reports that
                worker.conn.send(("parse", call, args))
            message = self._receive_parsed(worker, source, progress, cancel)
            if message is None:
                self._cancel_page(worker)
                raise Cancelled()
        if message[0] == "cancelled":
            raise Cancelled()
        if message[0] == "failed":
            raise message[1]
        return message[1]

    def _receive_parsed(
        self,
        worker: _Worker,
        source: str,
        progress: Progress | None,
        cancel: CancelToken | None,
    ) -> Message | None:
        """The reply to a parse, its progress passed on. Each step (a page) may take
        PAGE_DECODE_SECONDS and the whole file DECODE_SECONDS: past either, the worker is
        killed and the file refused."""
        end = time.monotonic() + limits.DECODE_SECONDS
        while True:
            step_end = min(end, time.monotonic() + limits.PAGE_DECODE_SECONDS)
            message = self._receive(
                worker, step_end - time.monotonic(), cancel, f"reading {source}", file=source
            )
            if message is None or message[0] != "progress":
                return message
            if progress is not None:
                progress(*message[1:])

    def shutdown(self) -> None:
        with self._state_lock:
            worker, self._worker = self._worker, None
        if worker is None:
            return
        worker.cancel.set()  # a page being read ends at its next step, freeing the request lock
        if not self._request_lock.acquire(timeout=CANCEL_GRACE):
            # Still busy: end it; the page's thread sees it end and closes the pipe.
            worker.process.kill()
            return
        try:
            if worker.ready:
                with contextlib.suppress(OSError):
                    worker.conn.send(("stop",))
                worker.process.join(STOP_GRACE)
            # A worker not known to be ready may still be loading: not worth waiting for.
            worker.kill()
        finally:
            self._request_lock.release()

    def _ready_worker(self, cancel: CancelToken | None) -> _Worker:
        with self._state_lock:
            if self._worker is None:
                self._worker = _start()
            worker = self._worker
        if not worker.ready:
            message = self._receive(worker, START_TIMEOUT, cancel, "starting")
            if message is None:
                raise Cancelled()  # the worker goes on loading, for the next page
            if message[0] != "ready":
                self._discard(worker)
                raise message[1]
            worker.ready = True
        return worker

    def _receive(
        self,
        worker: _Worker,
        timeout: float,
        cancel: CancelToken | None,
        doing: str,
        *,
        file: str | None = None,
    ) -> Message | None:
        """The worker's next message, its log records re-issued here on the way; None once
        `cancel` is set. OcrFailed (the worker killed) if it dies or `timeout` seconds pass;
        BadInput instead while it parses `file`, which is what made it hang or crash."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                message = worker.receive(deadline - time.monotonic(), cancel)
            except WorkerSilent:
                self._discard(worker)
                if file is not None:
                    raise BadInput(
                        f"{file}: this file took too long to read, so reading it was stopped."
                    ) from None
                raise OcrFailed(
                    f"The OCR process did not finish {doing} within {timeout:.0f} s; "
                    "the next page starts a fresh one."
                ) from None
            except WorkerDied as died:
                self._discard(worker)
                if file is not None:
                    raise BadInput(
                        f"{file}: this file could not be read (it stopped the reader, exit code "
                        f"{died.exitcode})."
                    ) from None
                raise OcrFailed(
                    f"The OCR process stopped unexpectedly while {doing} (exit code "
                    f"{died.exitcode}); the next page starts a fresh one."
                ) from None
            if message is None or message[0] != "log":
                return message
            _, name, level, text = message
            logging.getLogger(name).log(level, text)

    def _cancel_page(self, worker: _Worker) -> None:
        """Stop the page in flight and take its reply, or kill the worker if none comes soon."""
        worker.cancel.set()
        with contextlib.suppress(OcrFailed):  # it was killed: the next page starts a fresh one
            self._receive(worker, CANCEL_GRACE, None, "stopping")

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker that failed; the next page starts a fresh one."""
        with self._state_lock:
            if self._worker is worker:
                self._worker = None
        worker.kill()


def _start() -> _Worker:
    worker = _Worker.create(worker_module.run, (), name="fieldscribe-ocr")
    worker.start()
    return worker


_service = _Service()


def recognize(
    image: bytes, *, cancel: CancelToken | None = None, source: str = "page image"
) -> OcrPage:
    """Read a PNG, JPEG or TIFF page (its orientation tag applied). `source` names it in errors.

    Boxes refer to the image as displayed upright, whichever way the text itself was turned.
    Raises BadInput for an unreadable image, Cancelled when `cancel` is set, and OcrFailed if
    the OCR process dies or exceeds its time limit.
    """
    return _service.recognize(image, cancel, source)


def parse_pages(
    media_type: str,
    data: bytes,
    name: str,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> list[Page]:
    """`app.ingest.parse_pages` run in the worker process (an `app.ingest.PageParser`):
    BadInput when the file is refused, takes too long to read, or crashes the reader."""
    return _service.parse("pages", (media_type, data, name), name, progress, cancel)


def render_pdf_page(data: bytes, number: int, source: str) -> bytes:
    """`app.ingest.pdf.render_page` in the worker process, under the per-page deadline."""
    return _service.parse("render_pdf_page", (data, number, source), source, None, None)


def find_pdf_text(data: bytes, number: int, needle: str, source: str) -> list[tuple[int, ...]]:
    """`app.ingest.pdf.find_text` in the worker process, under the per-page deadline."""
    return _service.parse("find_pdf_text", (data, number, needle, source), source, None, None)


def warm_up() -> None:
    """Start the OCR process now, so the first page need not wait for it; returns at once."""
    _service.warm_up()


def shutdown() -> None:
    """Stop the OCR process (a page being read is cancelled); the next page starts a new one."""
    _service.shutdown()


def worker_pid() -> int | None:
    """The OCR process's id, None when there is none."""
    return _service.worker_pid()


atexit.register(shutdown)
