"""The engine the jobs talk to: one warm worker process running llama.cpp, owned by this object.

The calling process never imports llama_cpp, so a crash in llama.cpp cannot take it down. A
request streams tokens back one message each; cancel is an Event the worker checks between
tokens. A worker that dies, or does not acknowledge a cancel within CANCEL_GRACE seconds, is
killed and the next call starts a fresh one. Every wait has a deadline.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from app.cancel import CancelToken
from app.engine import worker as worker_module
from app.engine.errors import ContextOverflow, EngineCrashed, EngineFailed, InvalidModelOutput
from app.engine.registry import ModelRecord, verify_model
from app.engine.schema import check_schema, schema_errors
from app.engine.settings import RuntimeSettings
from app.errors import Cancelled
from app.worker_process import (
    POLL_INTERVAL,
    Message,
    WorkerDied,
    WorkerProcess,
    WorkerSilent,
)

LOAD_TIMEOUT = 300.0  # verify the file, start Python, import llama.cpp, map the model
FIRST_TOKEN_TIMEOUT = 600.0  # a full context of prompt on a slow laptop with a larger model
TOKEN_TIMEOUT = 120.0
CANCEL_GRACE = 2.0
CLOSE_GRACE = 5.0

_TERMINAL = {"done", "cancelled", "overflow", "failed"}


@dataclass(frozen=True)
class Completion:
    text: str
    data: Any  # the parsed JSON when a schema was given, else None
    prompt_tokens: int
    generated_tokens: int
    finish_reason: str  # "stop" (the model ended its answer) or "length" (max_tokens reached)
    provenance: dict[str, Any]


@dataclass
class _Worker(WorkerProcess):
    n_ctx: int = 0
    llama_cpp_version: str = ""


class Engine:
    """A model and the worker process that runs it. Thread-safe; requests run one at a time.

    Keep one Engine for as long as the model is wanted (it stays loaded), and `close()` it.
    """

    def __init__(self, model: ModelRecord, settings: RuntimeSettings | None = None) -> None:
        self.model = model
        self.settings = (settings or RuntimeSettings()).fitted_to(model.context_length)
        self._state_lock = threading.Lock()
        self._request_lock = threading.Lock()
        self._loading: Future[_Worker] | None = None
        self._starting: _Worker | None = None  # a worker still loading, so close() can end it
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------------

    def start_loading(self) -> None:
        """Verify the model file and start the worker in the background; returns at once."""
        with self._state_lock:
            if self._closed:
                raise EngineFailed("The model engine was closed.")
            if self._loading is None:
                future: Future[_Worker] = Future()
                self._loading = future
                threading.Thread(
                    target=self._load, args=(future,), name="engine-load", daemon=True
                ).start()

    def wait_until_loaded(self, cancel: CancelToken | None = None) -> None:
        """Start loading if needed and wait for it (ModelRefused, EngineFailed, Cancelled)."""
        self._ready_worker(cancel)

    @property
    def context_size(self) -> int:
        """The context llama.cpp allocated, in tokens (waits for the model to load)."""
        return self._ready_worker(None).n_ctx

    @property
    def worker_pid(self) -> int | None:
        with self._state_lock:
            future = self._loading
        if future is None or not future.done() or future.exception() is not None:
            return None
        return future.result().process.pid

    def close(self) -> None:
        """Stop the worker (politely, then by force). The engine cannot be used afterwards."""
        with self._state_lock:
            self._closed = True
            future, self._loading = self._loading, None
            starting = self._starting
        if starting is not None:
            # Only the process: the load thread is reading its pipe, sees it end, closes the
            # pipe itself and reports that the engine was closed.
            starting.process.kill()
        if future is None:
            return
        try:
            worker = future.result(timeout=CLOSE_GRACE)
        except Exception:  # loading failed or was just ended above: nothing left to stop
            return
        worker.cancel.set()  # a request in flight ends at its next token and raises Cancelled
        if not self._request_lock.acquire(timeout=CLOSE_GRACE):
            # The request did not end: kill the process; its thread sees that and cleans up.
            worker.process.kill()
            return
        try:
            with contextlib.suppress(OSError):
                worker.conn.send(("stop",))
            worker.process.join(CLOSE_GRACE)
            worker.kill()
        finally:
            self._request_lock.release()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _load(self, future: Future[_Worker]) -> None:
        try:
            future.set_result(self._spawn_worker())
        except BaseException as error:
            future.set_exception(error)

    def _spawn_worker(self) -> _Worker:
        deadline = time.monotonic() + LOAD_TIMEOUT
        verify_model(self.model)  # the file llama.cpp gets is the one that was validated
        worker = _Worker.create(
            worker_module.run,
            (self.model.path, self.settings),
            name=f"fieldscribe-model-{self.model.name}",
        )
        with self._state_lock:
            if self._closed:
                raise EngineFailed("The model engine was closed.")
            worker.start()
            self._starting = worker
        try:
            message = self._receive(worker, deadline - time.monotonic(), None, "loading")
        except EngineCrashed:
            if self._closed:  # close() ended the worker on purpose
                raise EngineFailed("The model engine was closed.") from None
            raise
        finally:
            with self._state_lock:
                self._starting = None
        if message[0] != "ready":
            worker.kill()
            raise EngineFailed(f"llama.cpp could not load {self.model.path}: {message[1]}.")
        _, worker.n_ctx, worker.llama_cpp_version = message
        return worker

    def _ready_worker(self, cancel: CancelToken | None) -> _Worker:
        self.start_loading()
        with self._state_lock:
            future = self._loading
        if future is None:  # closed meanwhile
            raise EngineFailed("The model engine was closed.")
        deadline = time.monotonic() + LOAD_TIMEOUT + CLOSE_GRACE
        while True:
            if cancel is not None and cancel.cancelled:
                raise Cancelled()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._forget(future)
                raise EngineCrashed(f"Loading {self.model.name} took longer than the time limit.")
            try:
                return future.result(timeout=min(remaining, POLL_INTERVAL) if cancel else remaining)
            except FutureTimeout:
                continue
            except BaseException:
                self._forget(future)  # the next call tries again from the start
                raise

    def _forget(self, future: Future[_Worker]) -> None:
        with self._state_lock:
            if self._loading is future:
                self._loading = None

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker that misbehaved; the next call starts a fresh one."""
        with self._state_lock:
            loading = self._loading
            if (
                loading is not None
                and loading.done()
                and loading.exception() is None
                and loading.result() is worker
            ):
                self._loading = None
        worker.kill()

    # -- requests ----------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """How many tokens `text` is for this model's tokenizer (no special tokens added)."""
        with self._request_lock:
            worker = self._ready_worker(None)
            worker.conn.send(("count", text))
            message = self._receive(worker, TOKEN_TIMEOUT, None, "counting tokens")
            if message[0] != "count":
                raise EngineFailed(f"The model could not count tokens: {message[-1]}.")
            return message[1]

    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        max_tokens: int,
        schema: Mapping[str, Any] | None = None,
        on_token: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> Completion:
        """Run one chat completion, streaming each token's text to `on_token`.

        With `schema`, generation is constrained by its grammar and `.data` is the parsed,
        validated object. Raises ContextOverflow before generating if the prompt and
        `max_tokens` do not fit, Cancelled when `cancel` is set, EngineCrashed if the worker dies.
        """
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        if schema is not None:
            check_schema(schema)
        request = (
            "complete",
            [dict(message) for message in messages],
            max_tokens,
            json.dumps(schema) if schema is not None else None,
        )
        with self._request_lock:
            worker = self._ready_worker(cancel)
            worker.cancel.clear()  # cleared before sending, so a cancel can never be missed
            worker.conn.send(request)
            pieces: list[str] = []
            timeout = FIRST_TOKEN_TIMEOUT
            finished = False
            try:
                while True:
                    message = self._receive(worker, timeout, cancel, "generating")
                    if message[0] == "token":
                        pieces.append(message[1])
                        timeout = TOKEN_TIMEOUT
                        if on_token is not None:
                            on_token(message[1])
                        continue
                    finished = True
                    break
            finally:
                if not finished:
                    self._stop_request(worker)
        kind = message[0]
        if kind == "cancelled":  # the engine was closed during the request
            raise Cancelled()
        if kind == "overflow":
            raise ContextOverflow(message[1], max_tokens, worker.n_ctx)
        if kind == "failed":
            raise EngineFailed(f"The model failed on this request: {message[1]}.")
        _, finish_reason, prompt_tokens, generated_tokens = message
        text = "".join(pieces)
        return Completion(
            text=text,
            data=_parse(text, schema, finish_reason) if schema is not None else None,
            prompt_tokens=prompt_tokens,
            generated_tokens=generated_tokens,
            finish_reason=finish_reason,
            provenance=self._provenance(worker, max_tokens),
        )

    def _provenance(self, worker: _Worker, max_tokens: int) -> dict[str, Any]:
        return {
            "model": self.model.name,
            "model_sha256": self.model.sha256,
            "engine": "llama-cpp-python",
            "engine_version": worker.llama_cpp_version,
            "parameters": {
                "temperature": self.settings.temperature,
                "seed": self.settings.seed,
                "repeat_penalty": self.settings.repeat_penalty,
                "top_k": self.settings.top_k,
                "top_p": self.settings.top_p,
                "min_p": self.settings.min_p,
                "max_tokens": max_tokens,
                "n_ctx": worker.n_ctx,
                "threads": self.settings.n_threads,
            },
        }

    def _receive(
        self, worker: _Worker, timeout: float, cancel: CancelToken | None, doing: str
    ) -> Message:
        """The worker's next message; Cancelled if `cancel` is set while waiting; EngineCrashed
        (and the worker killed) if it dies or sends nothing for `timeout` seconds."""
        try:
            message = worker.receive(timeout, cancel)
        except WorkerSilent:
            self._discard(worker)
            raise EngineCrashed(
                f"The model process stopped answering while {doing} "
                f"(nothing for {timeout:.0f} s); the next request starts a fresh one."
            ) from None
        except WorkerDied as died:
            self._discard(worker)
            raise EngineCrashed(
                f"The model process stopped unexpectedly while {doing} "
                f"(exit code {died.exitcode}); the next request starts a fresh one."
            ) from None
        if message is None:
            raise Cancelled()
        return message

    def _stop_request(self, worker: _Worker) -> None:
        """End the request in flight: ask the worker to stop, and kill it if it doesn't in time."""
        if not worker.process.is_alive():
            self._discard(worker)
            return
        worker.cancel.set()
        deadline = time.monotonic() + CANCEL_GRACE
        try:
            while worker.receive(deadline - time.monotonic(), None)[0] not in _TERMINAL:
                continue  # tokens sent before it saw the cancel
        except (WorkerSilent, WorkerDied):
            self._discard(worker)


def _parse(text: str, schema: Mapping[str, Any], finish_reason: str) -> Any:
    if finish_reason == "length":
        raise InvalidModelOutput(
            "The model's answer was cut off at the token limit before its JSON was complete."
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidModelOutput(f"The model's answer is not valid JSON ({error.msg}).") from None
    errors = schema_errors(data, schema)
    if errors:
        raise InvalidModelOutput(f"The model's answer does not match the schema: {errors[0]}.")
    return data
