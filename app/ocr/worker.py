"""The OCR worker: a child process that loads RapidOCR once and reads pages, one per request.
It also runs the untrusted parsers (PDF through pdfium, images through Pillow), so that a file
made to hang them is ended by killing this process, never the app's.

Started by `app.ocr.service` with the spawn context; it talks over one Pipe:

    parent -> worker   ("read", image_bytes, source)
                       ("parse", call, args)            one of UNTRUSTED_CALLS
                       ("stop",)
    worker -> parent   ("ready",)                       once, after loading
                       ("load_failed", error)           instead of "ready"; the worker ends
                       ("log", logger_name, level, message)   any time before a reply
                       ("progress", done, total, message)     while parsing, page by page
                       ("page", OcrPage)                one reply per "read"...
                       ("parsed", value)                ...or per "parse"...
                       ("cancelled",)                   ...or: the cancel event was seen
                       ("failed", error)                ...or: it raised; the worker lives on

Cancel is a multiprocessing.Event the parent clears before each request and sets to cancel it;
the pipeline checks it between its steps. Errors are sent as exception objects (BadInput stays
BadInput); an unexpected one carries its traceback from here as a note. Nothing heavy is
imported until the process runs, so importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import traceback
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

from app.cancel import CancelToken
from app.errors import Cancelled, FieldscribeError
from app.worker_process import receive_if_heard, send_if_heard


def run(conn: Connection, cancel: Event) -> None:
    """The worker process's entry point."""
    _send_logs_to(conn)
    try:
        from app.ocr import engine, reading  # numpy, OpenCV, Pillow

        engine.load()  # RapidOCR, onnxruntime, the ONNX sessions
    except Exception as error:  # anything that stops loading is reported, not raised into limbo
        send_if_heard(conn, ("load_failed", _portable(error)))
        return
    if not send_if_heard(conn, ("ready",)):
        return

    while True:
        request = receive_if_heard(conn)
        if request is None or request[0] == "stop":
            return
        try:
            if request[0] == "parse":
                reply = ("parsed", _parse(conn, cancel, *request[1:]))
            else:
                _, image, source = request
                reply = ("page", reading.read_page(image, source, cancel))
        except Cancelled:
            reply = ("cancelled",)
        except Exception as error:
            reply = ("failed", _portable(error))
        if not send_if_heard(conn, reply):
            return


UNTRUSTED_CALLS = ("pages", "render_pdf_page", "find_pdf_text")


def _parse(conn: Connection, cancel: Event, call: str, args: tuple) -> object:
    """Run one of the parsers on untrusted bytes: `pages` with progress and cancel."""
    from app.ingest import parse_pages, pdf

    if call == "pages":

        def progress(done: int, total: int, message: str) -> None:
            send_if_heard(conn, ("progress", done, total, message))

        return parse_pages(*args, progress=progress, cancel=CancelToken(cancel))
    if call == "render_pdf_page":
        return pdf.render_page(*args)
    if call == "find_pdf_text":
        return pdf.find_text(*args)
    raise ValueError(f"unknown parse call {call!r}")


def _portable(error: Exception) -> Exception:
    """`error` fit to send: a copy that survives pickling (a RuntimeError naming it if it would
    not), with this process's traceback noted unless it is a known error."""
    try:
        portable = pickle.loads(pickle.dumps(error))
    except Exception:
        portable = RuntimeError(f"{type(error).__name__}: {error}")
    if not isinstance(error, FieldscribeError):
        details = "".join(traceback.format_exception(error))
        portable.add_note(f"In the OCR worker process:\n{details}")
    return portable


class _SendToParent(logging.Handler):
    """Our records go to the parent, whose logging decides what to keep (message text only)."""

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self._conn = conn

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(OSError):  # the parent went away
            self._conn.send(("log", record.name, record.levelno, record.getMessage()))


def _send_logs_to(conn: Connection) -> None:
    ours = logging.getLogger("fieldscribe")
    ours.addHandler(_SendToParent(conn))
    ours.setLevel(logging.INFO)  # the parent filters again by its own levels
    ours.propagate = False
