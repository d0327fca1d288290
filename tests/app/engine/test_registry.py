"""The model registry with a real vault: import, list, use, remove, and their audit events."""

from __future__ import annotations

import base64
import importlib.metadata
import json
import os
from pathlib import Path

import pytest

from app.cancel import CancelToken
from app.engine import (
    ModelExists,
    ModelRefused,
    engine_for,
    import_model,
    list_models,
    remove_model,
    use_model,
)
from app.engine.registry import (
    DEFAULT_MODEL_DISTRIBUTION,
    DEFAULT_MODEL_FILE,
    DEFAULT_MODEL_NAME,
    DEFAULT_MODEL_SHA256,
    THREADS_SETTING,
    active_model_name,
    default_model_path,
)
from app.errors import BadInput, Cancelled
from app.fsutil import sha256_file
from tests.app.engine.tiny_models import write_tiny_gguf


def _model_events(vault) -> list[tuple[str, str, dict]]:
    rows = vault.query(
        "SELECT action, object_id, details_json FROM audit_events"
        " WHERE action LIKE 'model.%' ORDER BY seq"
    )
    return [(action, object_id, json.loads(details)) for action, object_id, details in rows]


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_the_pinned_default_hash_is_the_installed_wheels_record():
    (entry,) = [
        f
        for f in importlib.metadata.distribution(DEFAULT_MODEL_DISTRIBUTION).files
        if str(f) == DEFAULT_MODEL_FILE
    ]
    assert entry.hash.mode == "sha256"
    recorded = base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4))
    assert recorded.hex() == DEFAULT_MODEL_SHA256


def test_import_list_use_remove_with_their_audit_events(vault, tmp_path):
    source = write_tiny_gguf(tmp_path / "tiny-chat.gguf")
    progress: list[tuple[int, int]] = []
    record = import_model(
        vault, source, progress=lambda done, total, message: progress.append((done, total))
    )
    assert record.name == "tiny-chat"
    assert record.sha256 == sha256_file(source)
    assert record.path == vault.home.models / f"{record.sha256}.gguf"
    assert record.path.read_bytes() == source.read_bytes()
    assert (record.architecture, record.context_length, record.parameter_count) == (
        "llama",
        256,
        35,
    )
    assert record.has_chat_template and not record.is_default
    assert progress[-1] == (source.stat().st_size, source.stat().st_size)

    models = list_models(vault)
    assert [m.name for m in models] == [DEFAULT_MODEL_NAME, "tiny-chat"]
    assert models[0].is_default and models[0].sha256 == DEFAULT_MODEL_SHA256
    assert models[1] == record
    assert active_model_name(vault) == DEFAULT_MODEL_NAME

    use_model(vault, "tiny-chat")
    assert active_model_name(vault) == "tiny-chat"
    with engine_for(vault) as engine:
        assert engine.model == record
    with engine_for(vault, DEFAULT_MODEL_NAME) as engine:  # --model overrides for one run
        assert engine.model.path == default_model_path()

    remove_model(vault, "tiny-chat")
    assert [m.name for m in list_models(vault)] == [DEFAULT_MODEL_NAME]
    assert active_model_name(vault) == DEFAULT_MODEL_NAME
    assert _files(vault.home.models) == []

    sha = record.sha256
    assert _model_events(vault) == [
        ("model.import", "tiny-chat", {"sha256": sha, "size": record.size, "mmproj_sha256": None}),
        ("model.select", "tiny-chat", {"sha256": sha}),
        ("model.remove", "tiny-chat", {"sha256": sha, "active_model": DEFAULT_MODEL_NAME}),
    ]


def _candidate(kind: str, path: Path) -> Path:
    if kind == "junk":
        path.write_bytes(os.urandom(4096))
    elif kind == "truncated":
        write_tiny_gguf(path)
        os.truncate(path, path.stat().st_size - 40)
    elif kind == "no-chat-template":
        write_tiny_gguf(path, chat_template=None)
    elif kind == "renamed":
        path = write_tiny_gguf(path).rename(path.with_suffix(".bin"))
    return path


@pytest.mark.parametrize(
    "kind, reason",
    [
        ("junk", "GGUF signature"),
        ("truncated", "past the end"),
        ("no-chat-template", "no chat template"),
        ("renamed", "not a .gguf file"),
    ],
)
def test_a_refused_file_is_not_copied_or_recorded(vault, tmp_path, kind, reason):
    source = _candidate(kind, tmp_path / "candidate.gguf")
    with pytest.raises(ModelRefused, match=reason) as refused:
        import_model(vault, source)
    assert str(refused.value).startswith(str(source))
    assert refused.value.exit_code == 2
    assert _files(vault.home.models) == []
    assert len(list_models(vault)) == 1
    assert _model_events(vault) == []


def test_names_and_contents_are_never_imported_twice(vault, tmp_path):
    first = write_tiny_gguf(tmp_path / "first.gguf", fill=1.0)
    second = write_tiny_gguf(tmp_path / "second.gguf", fill=2.0)
    import_model(vault, first, name="notes-model")
    with pytest.raises(ModelExists, match="already exists"):
        import_model(vault, second, name="notes-model")
    with pytest.raises(ModelExists, match="already imported as 'notes-model'"):
        import_model(vault, first, name="another-name")
    with pytest.raises(ModelExists, match="embedded model"):
        import_model(vault, default_model_path(), name="smol-copy")
    with pytest.raises(BadInput, match="cannot name a model"):
        import_model(vault, second, name="../escape")
    assert len(_files(vault.home.models)) == 1  # no leftovers, temporary files included


def test_the_embedded_model_cannot_be_removed(vault):
    with pytest.raises(BadInput, match="cannot be removed") as refused:
        remove_model(vault, DEFAULT_MODEL_NAME)
    assert refused.value.exit_code == 2
    assert default_model_path().is_file()


def test_a_cancelled_import_leaves_nothing_behind(vault, tmp_path):
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        import_model(vault, write_tiny_gguf(tmp_path / "tiny.gguf"), cancel=cancel)
    assert _files(vault.home.models) == []
    assert _model_events(vault) == []


def test_a_projector_shared_by_two_models_is_kept_until_the_last_goes(vault, tmp_path):
    projector = write_tiny_gguf(tmp_path / "vision.mmproj.gguf", architecture="clip")
    one = import_model(vault, write_tiny_gguf(tmp_path / "one.gguf", fill=1.0), mmproj=projector)
    two = import_model(vault, write_tiny_gguf(tmp_path / "two.gguf", fill=2.0), mmproj=projector)
    assert one.mmproj_path == two.mmproj_path
    assert one.mmproj_sha256 == sha256_file(projector)
    remove_model(vault, "one")
    assert two.mmproj_path.is_file()
    remove_model(vault, "two")
    assert _files(vault.home.models) == []
    with pytest.raises(ModelRefused, match="not a vision projector"):
        import_model(vault, write_tiny_gguf(tmp_path / "three.gguf"), mmproj=tmp_path / "one.gguf")


def test_an_imported_model_changed_on_disk_is_refused_at_load(vault, tmp_path):
    record = import_model(vault, write_tiny_gguf(tmp_path / "tiny.gguf", fill=3.0))
    with open(record.path, "r+b") as f:  # a tensor byte: the header still validates
        f.seek(-1, os.SEEK_END)
        f.write(b"\x01")
    with engine_for(vault, record.name) as engine:
        with pytest.raises(ModelRefused, match="changed on disk"):
            engine.wait_until_loaded()
        assert engine.worker_pid is None
    record.path.unlink()
    with engine_for(vault, record.name) as engine, pytest.raises(ModelRefused, match="missing"):
        engine.wait_until_loaded()


def test_the_thread_setting_overrides_the_physical_core_count(vault):
    with vault.transaction() as tx:
        tx.set_setting(THREADS_SETTING, 1)
    with engine_for(vault) as engine:
        assert engine.settings.n_threads == 1
