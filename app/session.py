"""One unlocked vault, the active model's engine, and the operations users perform on them.

The command line and the desktop app both work through a `Session`; neither sequences a step of
its own. Each operation takes the usual `progress(done, total, message)` callback and cancel
token where it can take long, and its audit events are written where the change is made (in
app/jobs, app/vault, app/engine): the session only puts the steps in order.

Thread-safe where it matters: the desktop app runs operations on a job thread while its GUI
thread reads the engine's state. Operations that may restart the model (choosing or removing a
model, changing the thread count) wait for the old one to close: call them off the GUI thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from app import jobs, ocr
from app.audit import exchange
from app.audit import log as audit_log
from app.audit.events import AuditEvent
from app.cancel import CancelToken
from app.engine import (
    THREADS_SETTING,
    Engine,
    EngineFailed,
    ModelRecord,
    engine_for,
    import_model,
    list_models,
    remove_model,
    use_model,
)
from app.engine.registry import active_model_name
from app.errors import FieldscribeError
from app.jobs import exports, pipeline, tables, templates
from app.jobs.results import Result
from app.paths import Home
from app.vault import Vault, keyslots, permissions
from app.vault import cases as vault_cases
from app.vault import documents as vault_documents

Progress = Callable[[int, int, str], None]

READY = "Ready"
LOADING = "Loading…"
MODEL_SUFFIX = ".gguf"  # a file added with this suffix is a model, anything else a document


def files_in(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files as given, and the files inside folders (recursively, hidden ones skipped)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            for root, folders, names in os.walk(path):
                folders[:] = sorted(f for f in folders if not f.startswith("."))
                files += [Path(root) / n for n in sorted(names) if not n.startswith(".")]
        else:
            files.append(path)
    return files


def is_model_file(path: Path) -> bool:
    return path.suffix.lower() == MODEL_SUFFIX


class Session:
    """What a user works in once the vault is open. Close it (or use it as a context manager)
    to end the model and the OCR process and lock the vault."""

    def __init__(self, vault: Vault, *, model: str | None = None) -> None:
        """`model` names the model for this session (`--model`); else the vault's active one."""
        self.vault = vault
        self._model_override = model
        self._engine_lock = threading.Lock()
        self._engine: Engine | None = None
        self._engine_state = ""  # "" until the engine is started; then LOADING, READY or why not

    @classmethod
    def unlock(
        cls, home: Home, secret: str, *, check_pages: bool = False, model: str | None = None
    ) -> Session:
        return cls(Vault.unlock(home, secret, check_pages=check_pages), model=model)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close("command finished")

    def close(self, reason: str = "user") -> None:
        """End the model and the OCR process, then lock the vault (recorded with `reason`)."""
        try:
            self.stop_workers()
        finally:
            self.vault.lock(reason=reason)

    def stop_workers(self) -> None:
        """End the model's and the OCR's processes (the OCR one may hold the last page read);
        the vault stays open, and either starts again when next needed."""
        self.close_engine()
        ocr.shutdown()

    # -- the model ---------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Start the OCR process and the model loading in the background; returns at once."""
        ocr.warm_up()
        self.start_engine()

    def start_engine(self) -> None:
        """Start loading the session's model (returns at once). If there is none to load, the
        reason becomes the engine state, and the model's jobs refuse with it."""
        with self._engine_lock:
            if self._engine_state:
                return
            self._start_engine_locked()

    def _start_engine_locked(self) -> None:
        try:
            engine = engine_for(self.vault, self._model_override)
        except FieldscribeError as exc:  # the model's file is gone, the vault is damaged…
            self._engine, self._engine_state = None, str(exc)
            return
        engine.start_loading()
        self._engine, self._engine_state = engine, LOADING

    @property
    def engine(self) -> Engine | None:
        """The engine of the session's model, None when not started or not available."""
        with self._engine_lock:
            return self._engine

    @property
    def engine_state(self) -> str:
        """ "" (not started), LOADING, READY, or a sentence saying why the model is unusable."""
        with self._engine_lock:
            return self._engine_state

    def wait_for_engine(self, cancel: CancelToken | None = None) -> str:
        """Wait until the model has loaded or failed to; the engine state that results."""
        engine = self.engine
        if engine is None:
            return self.engine_state
        try:
            engine.wait_until_loaded(cancel)
            state = READY
        except FieldscribeError as exc:
            state = str(exc)
        with self._engine_lock:
            if engine is self._engine:  # not replaced meanwhile
                self._engine_state = state
            return self._engine_state

    def restart_engine(self) -> None:
        """Close the model and load it anew (another model, another thread count). Waits for
        the old one to close, so off the GUI thread. Not started yet: nothing to restart."""
        with self._engine_lock:
            if not self._engine_state:
                return
            old = self._engine
            self._start_engine_locked()
        if old is not None:
            old.close()

    def close_engine(self) -> None:
        """End the model's worker; the session can start it again."""
        with self._engine_lock:
            engine, self._engine, self._engine_state = self._engine, None, ""
        if engine is not None:
            engine.close()

    def _engine_for_job(self) -> Engine:
        self.start_engine()
        with self._engine_lock:
            if self._engine is None:
                raise EngineFailed(f"No model is available: {self._engine_state}")
            return self._engine

    # -- models ------------------------------------------------------------------------------

    def models(self) -> list[ModelRecord]:
        return list_models(self.vault)

    def active_model_name(self) -> str:
        return active_model_name(self.vault)

    def import_model(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        mmproj: str | os.PathLike[str] | None = None,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> ModelRecord:
        """Validate a GGUF model and copy it into the vault's home (`model.import`)."""
        return import_model(
            self.vault, path, name=name, mmproj=mmproj, progress=progress, cancel=cancel
        )

    def use_model(self, name: str) -> ModelRecord:
        """Make `name` the active model (`model.select`); a running model is replaced by it."""
        record = use_model(self.vault, name)
        self._model_override = None  # the user chose: the active model is the one wanted now
        self.restart_engine()
        return record

    def remove_model(self, name: str) -> None:
        """Remove an imported model and its file (`model.remove`); if it was the one loaded,
        the active model (the default, then) is loaded instead."""
        engine = self.engine
        remove_model(self.vault, name)
        if engine is not None and engine.model.name == name:
            self._model_override = None
            self.restart_engine()

    # -- settings ----------------------------------------------------------------------------

    def setting(self, key: str, default: Any = None) -> Any:
        return self.vault.get_setting(key, default)

    def save_settings(self, values: dict[str, Any]) -> None:
        """Store settings in one transaction (None removes one); a changed thread count
        reloads the model with it."""
        threads_before = self.vault.get_setting(THREADS_SETTING)
        with self.vault.transaction() as tx:
            for key, value in values.items():
                tx.set_setting(key, value)
        if THREADS_SETTING in values and values[THREADS_SETTING] != threads_before:
            self.restart_engine()

    def templates(self) -> list[templates.Template]:
        """The bundled and saved extraction templates."""
        return templates.list_templates(self.vault)

    def template(self, name: str) -> templates.Template:
        """One template by name (BadInput if there is none)."""
        return templates.get_template(self.vault, name)

    def save_template(self, name: str, schema: dict[str, Any]) -> templates.Template:
        """Save (or replace) a user template; the schema is checked first."""
        return templates.save_template(self.vault, name, schema)

    def delete_template(self, name: str) -> None:
        """Delete a saved template; bundled ones cannot be deleted."""
        templates.delete_template(self.vault, name)

    # -- documents ---------------------------------------------------------------------------

    def import_document(
        self,
        path: str | os.PathLike[str],
        *,
        case_id: int | None = None,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> int:
        """Read a file (one sentence for bad input) and store it once (`document.import`);
        with a case, the document goes into it (`document.assign`). Its document id."""
        document_id = jobs.import_document(self.vault, path, progress=progress, cancel=cancel)
        if case_id is not None:
            vault_cases.assign_document(self.vault, document_id, case_id)
        return document_id

    def stored_copy(self, path: str | os.PathLike[str]) -> str | None:
        """The name under which this file's exact bytes are already stored, if they are."""
        return jobs.stored_copy(self.vault, path)

    def latest_result(self, document_id: int, kind: str) -> Result | None:
        return jobs.latest_result(self.vault, document_id, kind)

    def digitize(
        self,
        document_id: int,
        *,
        keep_corrections: bool = True,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> Result:
        return jobs.digitize(
            self.vault,
            document_id,
            keep_corrections=keep_corrections,
            progress=progress,
            cancel=cancel,
        )

    def summarize(
        self,
        document_id: int,
        *,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Result:
        engine = self._engine_for_job()
        return jobs.summarize(
            self.vault, engine, document_id, progress=progress, cancel=cancel, on_token=on_token
        )

    def extract(
        self,
        document_id: int,
        template: str | templates.Template,
        *,
        keep_corrections: bool = True,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> Result:
        """Fill `template` (a Template, or the name of a saved or bundled one) from the document."""
        engine = self._engine_for_job()
        return jobs.extract(
            self.vault,
            engine,
            document_id,
            template,
            keep_corrections=keep_corrections,
            progress=progress,
            cancel=cancel,
        )

    def search(
        self, query: str, limit: int = 50, *, audited: bool = True
    ) -> list[vault_documents.SearchHit]:
        """Full-text search; `search.run` (a keyed hash of the words) when a user asked for it,
        not when a view looks again to stay current (`audited=False`)."""
        return vault_documents.search(self.vault, query, limit=limit, audited=audited)

    def edit_result(self, result_id: int, content: dict[str, Any]) -> Result:
        """Store the user's version as the next revision (`result.edit`); nothing is lost."""
        return jobs.edit_result(self.vault, result_id, content)

    def restore_revision(self, result_id: int, revision: int) -> Result:
        """Make an earlier revision current again, as the next revision (`result.restore`)."""
        return jobs.restore_revision(self.vault, result_id, revision)

    def revisions(self, result_id: int) -> list[jobs.Revision]:
        """Every revision of a result, oldest first, with what made it."""
        return jobs.revisions(self.vault, result_id)

    def revision(self, result_id: int, revision: int) -> Result:
        """One earlier revision of a result, as it was stored."""
        return jobs.get_revision(self.vault, result_id, revision)

    def export_result(self, result_id: int, path: str | os.PathLike[str], fmt: str) -> str:
        """Write a result as JSON, CSV or DOCX (`result.export`); the file's SHA-256."""
        return exports.export_result(self.vault, result_id, path, fmt)

    def record_export(self, result_id: int, path: Path, fmt: str) -> str:
        """For a file the caller wrote itself (the desktop app's PDF): `result.export`."""
        return exports.record_export(self.vault, result_id, path, fmt)

    def record_view(self, document_id: int) -> None:
        """A user opened the document: `document.view`."""
        vault_documents.record_view(self.vault, document_id)

    def has_corrections(self, result: Result) -> bool:
        """Whether the user changed this result since its job last wrote it."""
        return pipeline.has_corrections(self.vault, result)

    def pages_to_show(self, document_id: int) -> list[pipeline.PageToShow]:
        """The document's pages as the page view shows them (images where there are any)."""
        return pipeline.pages_to_show(self.vault, document_id)

    def render_pdf_page(self, document_id: int, number: int) -> bytes:
        """A page of a stored PDF drawn as an image (in the worker process that parses PDFs)."""
        return pipeline.render_pdf_page(self.vault, document_id, number)

    def passage_boxes(self, document_id: int, passage: str) -> list[tuple[int, tuple]]:
        """Where a passage of the document's text is on its pages: (page, box) pairs."""
        return pipeline.passage_boxes(self.vault, document_id, passage)

    def latest_extract(self, document_id: int, template_name: str) -> Result | None:
        """The document's newest extraction with this template, if any."""
        return pipeline.latest_extract(self.vault, document_id, template_name)

    def export_table(
        self, results: list[tuple[str, int]], path: str | os.PathLike[str], fmt: str | None = None
    ) -> str:
        """One template's fields over several documents as one CSV/XLSX table, a row per
        (name, extract result id); `result.export` for each; the file's SHA-256."""
        return tables.export_table(self.vault, results, Path(path), fmt)

    def documents(self) -> list[vault_documents.StoredDocument]:
        """Every document in the vault."""
        return vault_documents.list_documents(self.vault)

    # -- cases -------------------------------------------------------------------------------

    def cases(self) -> list[vault_cases.Case]:
        return vault_cases.list_cases(self.vault)

    def create_case(self, title: str) -> int:
        return vault_cases.create_case(self.vault, title)

    def rename_case(self, case_id: int, title: str) -> None:
        vault_cases.rename_case(self.vault, case_id, title)

    def assign_to_case(
        self,
        document_ids: list[int],
        case_id: int | None,
        *,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        """Move documents into a case (or out of any): one transaction and one
        `document.assign` event per document moved, so a cancel keeps those already moved."""
        for done, document_id in enumerate(document_ids, 1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            vault_cases.assign_document(self.vault, document_id, case_id)
            if progress is not None:
                progress(done, len(document_ids), "")

    # -- the vault's keys and its audit log ----------------------------------------------------

    @classmethod
    def create(
        cls, home: Home, passphrase: str, *, model: str | None = None
    ) -> tuple[Session, str]:
        """A new vault (`vault.create`) open in a session, and its recovery code: shown once,
        stored nowhere in plain form. Where a vault already is, it is left untouched."""
        vault, recovery_code = Vault.create(home, passphrase)
        return cls(vault, model=model), recovery_code

    def change_passphrase(self, current_secret: str, new_passphrase: str) -> None:
        """Rewrap the data key under a new passphrase (`vault.passphrase_change`). The current
        passphrase or the recovery code is asked again; an old copy of keys.json still opens
        the vault with the old passphrase until `rekey`."""
        self.vault.change_passphrase(current_secret, new_passphrase)

    def rekey(self, passphrase: str, *, progress: Progress | None = None) -> str:
        """Re-encrypt the vault under a fresh data key (`vault.rekey`) so that no old copy of
        keys.json opens it; the passphrase stays, the recovery code returned replaces the old."""
        return self.vault.rekey(passphrase, progress=progress)

    def new_recovery_code(self, current_secret: str) -> str:
        """Issue a new recovery code and retire the old one (`vault.recovery_reissue`)."""
        return self.vault.new_recovery_code(current_secret)

    def audit_events(self) -> list[AuditEvent]:
        """Every event of the audit log, oldest first."""
        return audit_log.read_events(self.vault)

    def audit_log_size(self) -> int:
        """How many events the audit log holds."""
        (count,) = self.vault.query("SELECT count(*) FROM audit_events")[0]
        return count

    def verify_audit_log(self) -> int:
        """Check the log against its signed checkpoint (`audit.verify`, failed ones too); the
        number of events. LogTampered when it is not intact."""
        return audit_log.verify(self.vault)

    def export_audit_log(
        self,
        out: str | os.PathLike[str],
        *,
        recipient: str | None = None,
        passphrase: str | None = None,
        fmt: str = "jsonl",
    ) -> audit_log.ExportReport:
        """Write the log signed and age-encrypted, to an age public key or a passphrase
        (`audit.export`); `fmt` is one of AUDIT_EXPORT_FORMATS. A log that does not verify is
        never exported."""
        return audit_log.export(
            self.vault, Path(out), recipient=recipient, passphrase=passphrase, fmt=fmt
        )

    def device_fingerprint(self) -> str:
        """The device key's fingerprint, recorded when the laptop is issued (`audit check
        --expect-fingerprint`)."""
        return audit_log.fingerprint(self.vault)

    def failed_unlocks_before_last_unlock(self) -> int:
        """How many unlock attempts failed between the previous unlock and this session's."""
        return audit_log.failed_unlocks_before_last_unlock(self.vault)


# -- before a session is open, and without one --------------------------------------------------

# The passphrase policy both front ends show and enforce (BadInput with the reason).
MIN_PASSPHRASE_LENGTH = keyslots.MIN_PASSPHRASE_LENGTH
check_new_passphrase = keyslots.check_new_passphrase

# Only the user's account may read the home: folder 0700, files 0600 (the logs included).
secure_home = permissions.secure_home

AUDIT_EXPORT_FORMATS = audit_log.FORMATS

# Verify an exported audit log offline: no vault is needed (exchange.Tampered when not intact).
check_audit_export = exchange.check_export_file


def vault_exists(home: Home) -> bool:
    """Whether the home holds a vault, or part of one: it is unlocked, never created anew."""
    return Vault.exists(home)
