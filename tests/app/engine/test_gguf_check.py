"""GGUF validation: the real model passes; junk, truncated, renamed and header-fuzzed files are
refused with one sentence, and a refused file never reaches llama.cpp (no worker is started)."""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import struct
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import gguf
import numpy as np
import pytest
from gguf.constants import GGML_QUANT_SIZES

from app.engine import Engine, ModelRefused
from app.engine.gguf_check import MAX_ARRAY_ITEMS, MAX_STRING_BYTES, check_gguf
from app.engine.registry import DEFAULT_MODEL_NAME, default_model, default_model_path
from tests.app.engine.tiny_models import write_tiny_gguf

HEADER_SPAN = 4096  # the random fuzz mutates bytes in the first few KB of the header


@pytest.fixture(scope="module")
def model_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One writable copy of the real model; tests mutate it in place and restore it."""
    target = tmp_path_factory.mktemp("gguf") / "model.gguf"
    shutil.copyfile(default_model_path(), target)
    return target


@dataclass(frozen=True)
class Field:
    """A structural integer in the header, located with the gguf package's own reader."""

    kind: str
    offset: int
    width: int


def _structural_fields(path: Path) -> list[Field]:
    reader = gguf.GGUFReader(path)
    fields = [Field("version", 4, 4), Field("tensor_count", 8, 8), Field("kv_count", 16, 8)]
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        offsets = np.cumsum([0] + [part.nbytes for part in field.parts]) + field.offset
        fields.append(Field("key_length", int(offsets[0]), 8))
        fields.append(Field("value_type", int(offsets[2]), 4))
        value_type = field.types[0]
        if value_type == gguf.GGUFValueType.STRING:
            fields.append(Field("string_length", int(offsets[3]), 8))
        elif value_type == gguf.GGUFValueType.ARRAY:
            fields.append(Field("item_type", int(offsets[3]), 4))
            fields.append(Field("array_length", int(offsets[4]), 8))
            if field.types[1] == gguf.GGUFValueType.STRING:
                # parts after the header: length, bytes, length, bytes, ...; sample a few
                for index in (5, 7, 9)[: (len(field.parts) - 5) // 2]:
                    fields.append(Field("array_string_length", int(offsets[index]), 8))
    for tensor in reader.tensors:
        field = tensor.field
        offsets = np.cumsum([0] + [part.nbytes for part in field.parts]) + field.offset
        fields.append(Field("tensor_name_length", int(offsets[0]), 8))
        fields.append(Field("tensor_rank", int(offsets[2]), 4))
        fields.append(Field("tensor_dim", int(offsets[3]), 8))
        fields.append(Field("tensor_type", int(offsets[4]), 4))
        fields.append(Field("tensor_offset", int(offsets[5]), 8))
    return fields


_UNKNOWN_TENSOR_TYPES = sorted(set(range(64)) - {int(t) for t in GGML_QUANT_SIZES})


def _invalid_value(field: Field, original: int, rng: random.Random) -> int:
    """A value the GGUF rules forbid for this field (so the file must be refused)."""
    huge = rng.choice([1 << 40, (1 << 64) - 1, (1 << 63) + 5])
    choices = {
        "version": [0, 1, 4, 0x03000000],  # the last is version 3 written big-endian
        "tensor_count": [0, 1 << 17, huge],
        "kv_count": [1 << 17, huge],
        "key_length": [0, (1 << 16) + 1, huge],
        "value_type": [13, 200, (1 << 32) - 1],
        "string_length": [MAX_STRING_BYTES + 1, huge],
        "item_type": [9, 13, (1 << 32) - 1],  # 9: arrays of arrays
        "array_length": [MAX_ARRAY_ITEMS + 1, huge],
        "array_string_length": [MAX_STRING_BYTES + 1, huge],
        "tensor_name_length": [64, 4096, huge],
        "tensor_rank": [0, 5, (1 << 32) - 1],
        "tensor_dim": [0, 1 << 63, (1 << 64) - 1],
        "tensor_type": [*_UNKNOWN_TENSOR_TYPES, 1000],
        "tensor_offset": [original + 1, original + 32, huge],
    }[field.kind]
    return rng.choice([value for value in choices if value != original])


def _write_at(path: Path, offset: int, data: bytes) -> bytes:
    """Overwrite bytes in place; return what was there."""
    with open(path, "r+b") as f:
        f.seek(offset)
        before = f.read(len(data))
        f.seek(offset)
        f.write(data)
    return before


def test_the_embedded_model_passes_with_its_metadata():
    info = check_gguf(default_model_path())
    assert info.version == 3
    assert info.architecture == "llama"
    assert info.context_length == 8192
    assert info.quantization == "Q4_1"
    assert info.has_chat_template
    assert info.tensor_count == 272
    assert 134_000_000 < info.parameter_count < 136_000_000  # "135M"
    assert default_model().name == DEFAULT_MODEL_NAME


def test_a_small_file_written_by_the_gguf_package_passes(tmp_path):
    path = write_tiny_gguf(tmp_path / "tiny.gguf")
    info = check_gguf(path)
    assert (info.architecture, info.context_length, info.parameter_count) == ("llama", 256, 35)
    assert info.quantization == "F32"
    assert info.has_chat_template

    with open(path, "ab") as f:
        f.write(b"\0" * 64)  # more than the alignment padding: not what the header describes
    with pytest.raises(ModelRefused, match="after the end of its tensor data"):
        check_gguf(path)


def _zip_bytes(tmp_path: Path) -> bytes:
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("hello.txt", "hello")
    return archive.read_bytes()


@pytest.mark.parametrize(
    "name, content",
    [
        ("empty.gguf", b""),
        ("random.gguf", random.Random(7).randbytes(100_000)),
        ("text.gguf", b"GGUF is a file format for models.\n" * 100),
        ("document.gguf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" * 50),
        ("picture.gguf", b"\x89PNG\r\n\x1a\n" + bytes(5000)),
        ("magic-only.gguf", b"GGUF"),
        ("old-version.gguf", b"GGUF" + struct.pack("<IQQ", 1, 1, 0)),
    ],
)
def test_junk_and_renamed_files_are_refused(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ModelRefused) as refused:
        check_gguf(path)
    message = str(refused.value)
    assert message.startswith(str(path)) and message.count(". ") == 0  # one sentence, names it


def test_a_zip_renamed_to_gguf_is_refused(tmp_path):
    path = tmp_path / "archive.gguf"
    path.write_bytes(_zip_bytes(tmp_path))
    with pytest.raises(ModelRefused, match="GGUF signature"):
        check_gguf(path)


def test_a_real_model_without_the_gguf_extension_is_refused(tmp_path):
    renamed = tmp_path / "model.bin"
    renamed.symlink_to(default_model_path())
    with pytest.raises(ModelRefused, match="not a .gguf file"):
        check_gguf(renamed)


def test_a_directory_or_a_missing_file_is_refused(tmp_path):
    (tmp_path / "folder.gguf").mkdir()
    for path in (tmp_path / "folder.gguf", tmp_path / "missing.gguf"):
        with pytest.raises(ModelRefused, match="cannot be read"):
            check_gguf(path)


@pytest.mark.slow
def test_truncated_models_are_refused(model_copy, tmp_path):
    size = model_copy.stat().st_size
    data_offset = gguf.GGUFReader(model_copy).data_offset
    # Short prefixes are written fresh; long ones by shrinking one copy step by step.
    for cut in (5, 23, 24, 1000, 500_000, data_offset - 1):
        with open(model_copy, "rb") as f:
            prefix = f.read(cut)
        short = tmp_path / f"cut-{cut}.gguf"
        short.write_bytes(prefix)
        with pytest.raises(ModelRefused):
            check_gguf(short)
    shrinking = tmp_path / "shrinking.gguf"
    shutil.copyfile(model_copy, shrinking)
    for cut in (size - 1, size // 2, data_offset + 10):
        os.truncate(shrinking, cut)
        with pytest.raises(ModelRefused, match="past the end of the file"):
            check_gguf(shrinking)


@pytest.mark.slow
def test_every_kind_of_structural_header_mutation_is_refused(model_copy):
    """Seeded mutations of counts, lengths, types, ranks, shapes and offsets (located with the
    gguf package's reader, independently of ours), each set to a value the format forbids."""
    rng = random.Random(20240611)
    fields = _structural_fields(model_copy)
    by_kind: dict[str, list[Field]] = {}
    for field in fields:
        by_kind.setdefault(field.kind, []).append(field)
    chosen = [rng.choice(group) for group in by_kind.values() for _ in range(6)]
    assert len(by_kind) == 14

    for field in chosen:
        with open(model_copy, "rb") as f:
            f.seek(field.offset)
            original = int.from_bytes(f.read(field.width), "little")
        value = _invalid_value(field, original, rng)
        before = _write_at(model_copy, field.offset, value.to_bytes(field.width, "little"))
        try:
            with pytest.raises(ModelRefused):
                check_gguf(model_copy)
        finally:
            _write_at(model_copy, field.offset, before)
    check_gguf(model_copy)  # restored intact


@pytest.mark.slow
def test_random_header_fuzz_never_gets_past_the_validator_unchecked(model_copy):
    """Random byte flips in the first few KB: the validator answers every file with metadata or
    one refusal sentence, never another exception, and refuses the ones that break structure."""
    rng = random.Random(4242)
    refused = 0
    for _ in range(120):
        positions = [rng.randrange(HEADER_SPAN) for _ in range(rng.randint(1, 4))]
        saved = [(p, _write_at(model_copy, p, bytes([rng.randrange(256)]))) for p in positions]
        try:
            check_gguf(model_copy)
        except ModelRefused as error:
            refused += 1
            assert str(error).startswith(str(model_copy))
        finally:
            for position, before in reversed(saved):
                _write_at(model_copy, position, before)
    assert refused > 0
    check_gguf(model_copy)


def test_a_refused_file_never_reaches_llama_cpp(tmp_path):
    """The engine validates before it starts a worker: no process is spawned for a bad file."""
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 1 << 40, 0) + bytes(64))
    record = default_model()
    engine = Engine(replace(record, path=bad, size=bad.stat().st_size))
    try:
        with pytest.raises(ModelRefused, match="tensors"):
            engine.wait_until_loaded()
        assert engine.worker_pid is None
        assert multiprocessing.active_children() == []
    finally:
        engine.close()
