"""Bounded, pure-Python validation of a GGUF file before llama.cpp ever opens it.

Every length and count read from the file is checked against a sane limit and against the bytes
that remain before it is used, so a hostile header can neither make us allocate nor read past the
end. The rules follow llama.cpp's own loader (gguf.cpp): little-endian version 2 or 3, known value
and tensor types, no nested arrays, unique keys and tensor names, a power-of-two alignment, tensors
laid out back to back from the start of the data section, and a file that ends where the data does.
"""

from __future__ import annotations

import math
import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from gguf.constants import GGML_QUANT_SIZES, GGUF_DEFAULT_ALIGNMENT, LlamaFileType

from app.engine.errors import ModelRefused

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)

MAX_TENSORS = 1 << 16
MAX_KEY_VALUES = 1 << 16
MAX_KEY_BYTES = 1 << 16
MAX_STRING_BYTES = 1 << 24  # chat templates are kilobytes; 16 MiB is far beyond any real value
MAX_ARRAY_ITEMS = 1 << 24  # vocabularies and merge lists have up to a few hundred thousand entries
MAX_TENSOR_NAME_BYTES = 63  # GGML_MAX_NAME - 1
MAX_DIMS = 4  # GGML_MAX_DIMS
MAX_ALIGNMENT = 1 << 16

# GGUF value types (gguf.constants.GGUFValueType) and their fixed sizes.
_STRING, _ARRAY = 8, 9
_SCALAR_FORMATS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_QUANT_SIZES = {int(kind): size for kind, size in GGML_QUANT_SIZES.items()}


@dataclass(frozen=True)
class GGUFInfo:
    """What the registry records about a model file that passed validation."""

    version: int
    file_size: int
    architecture: str
    name: str | None
    context_length: int | None
    parameter_count: int
    quantization: str | None
    has_chat_template: bool
    tensor_count: int


class _Malformed(Exception):
    """Internal: the reason a file was refused, turned into ModelRefused at the boundary."""


class _Reader:
    """Reads little-endian values from a buffer, never past its end."""

    def __init__(self, buffer: mmap.mmap, size: int) -> None:
        self.buffer = buffer
        self.size = size
        self.pos = 0

    def scalar(self, fmt: str, width: int, what: str) -> int | float | bool:
        if self.pos + width > self.size:
            raise _Malformed(f"the file ends inside {what}")
        (value,) = struct.unpack_from(fmt, self.buffer, self.pos)
        self.pos += width
        return value

    def u32(self, what: str) -> int:
        return int(self.scalar("<I", 4, what))

    def u64(self, what: str) -> int:
        return int(self.scalar("<Q", 8, what))

    def skip_bytes(self, length: int, what: str) -> None:
        if self.pos + length > self.size:
            raise _Malformed(f"{what} runs past the end of the file")
        self.pos += length

    def raw_string(self, limit: int, what: str) -> bytes:
        length = self.u64(f"the length of {what}")
        if length > limit:
            raise _Malformed(f"{what} is {length} bytes long, more than the limit of {limit}")
        start = self.pos
        self.skip_bytes(length, what)
        return bytes(self.buffer[start : self.pos])

    def skip_strings(self, count: int, what: str) -> None:
        """Skip `count` strings; one tight loop, as a vocabulary holds about 100,000 of them."""
        buffer, size, pos, unpack_from = self.buffer, self.size, self.pos, struct.unpack_from
        for _ in range(count):
            if pos + 8 > size:
                raise _Malformed(f"the file ends inside the length of {what}")
            (length,) = unpack_from("<Q", buffer, pos)
            if length > MAX_STRING_BYTES:
                raise _Malformed(f"{what} is {length} bytes long, more than the limit")
            pos += 8 + length
            if pos > size:
                raise _Malformed(f"{what} runs past the end of the file")
        self.pos = pos


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Malformed(f"{what} is not valid UTF-8") from None


def _read_value(reader: _Reader, value_type: int, key: str) -> object:
    """One metadata value; arrays are walked and bounds-checked but only their length is kept."""
    if value_type in _SCALAR_FORMATS:
        fmt = _SCALAR_FORMATS[value_type]
        return reader.scalar(fmt, struct.calcsize(fmt), f"the value of {key}")
    if value_type == _STRING:
        return reader.raw_string(MAX_STRING_BYTES, f"the value of {key}")
    if value_type == _ARRAY:
        item_type = reader.u32(f"the item type of {key}")
        count = reader.u64(f"the length of {key}")
        if count > MAX_ARRAY_ITEMS:
            raise _Malformed(f"the array {key} has {count} items, more than the limit")
        if item_type in _SCALAR_FORMATS:
            reader.skip_bytes(count * struct.calcsize(_SCALAR_FORMATS[item_type]), f"array {key}")
        elif item_type == _STRING:
            reader.skip_strings(count, f"a string in {key}")
        elif item_type == _ARRAY:
            raise _Malformed(f"the array {key} nests arrays, which llama.cpp does not support")
        else:
            raise _Malformed(f"the array {key} has an unknown item type {item_type}")
        return count
    raise _Malformed(f"the key {key} has an unknown value type {value_type}")


def _tensor_bytes(name: str, dims: list[int], tensor_type: int) -> int:
    if tensor_type not in _QUANT_SIZES:
        raise _Malformed(f"tensor {name} has an unknown type {tensor_type}")
    block_size, type_size = _QUANT_SIZES[tensor_type]
    if any(d <= 0 or d >= 1 << 63 for d in dims):
        raise _Malformed(f"tensor {name} has an impossible shape {dims}")
    elements = math.prod(dims)
    if elements >= 1 << 63:
        raise _Malformed(f"tensor {name} has an impossible shape {dims}")
    if dims[0] % block_size:
        raise _Malformed(f"tensor {name} has a row length that its type cannot hold")
    return elements // block_size * type_size


def _parse(reader: _Reader) -> GGUFInfo:
    if reader.size < 24:
        raise _Malformed("it is too short to hold a GGUF header")
    if bytes(reader.buffer[0:4]) != MAGIC:
        raise _Malformed("it does not start with the GGUF signature")
    reader.pos = 4
    version = reader.u32("the version")
    if version not in SUPPORTED_VERSIONS:
        raise _Malformed(f"GGUF version {version} is not supported (only 2 and 3)")
    tensor_count = reader.u64("the tensor count")
    kv_count = reader.u64("the metadata count")
    if not 0 < tensor_count <= MAX_TENSORS:
        raise _Malformed(f"it declares {tensor_count} tensors")
    if kv_count > MAX_KEY_VALUES:
        raise _Malformed(f"it declares {kv_count} metadata entries")

    metadata: dict[str, object] = {}
    for _ in range(kv_count):
        key = _text(reader.raw_string(MAX_KEY_BYTES, "a metadata key"), "a metadata key")
        if not key or key in metadata:
            raise _Malformed(f"the metadata key {key!r} is empty or repeated")
        metadata[key] = _read_value(reader, reader.u32(f"the type of {key}"), key)

    alignment = metadata.get("general.alignment", GGUF_DEFAULT_ALIGNMENT)
    if (
        not isinstance(alignment, int)
        or isinstance(alignment, bool)
        or not 0 < alignment <= MAX_ALIGNMENT
        or alignment & (alignment - 1)
    ):
        raise _Malformed(f"the alignment {alignment!r} is not a power of two")

    names: set[str] = set()
    parameter_count = 0
    expected_offset = 0  # tensors sit back to back, each padded to the alignment
    data_end = 0
    for _ in range(tensor_count):
        raw_name = reader.raw_string(MAX_TENSOR_NAME_BYTES, "a tensor name")
        name = _text(raw_name, "a tensor name")
        if name in names:
            raise _Malformed(f"the tensor name {name!r} is repeated")
        names.add(name)
        n_dims = reader.u32(f"the rank of tensor {name}")
        if not 0 < n_dims <= MAX_DIMS:
            raise _Malformed(f"tensor {name} has {n_dims} dimensions")
        dims = [reader.u64(f"the shape of tensor {name}") for _ in range(n_dims)]
        tensor_type = reader.u32(f"the type of tensor {name}")
        offset = reader.u64(f"the offset of tensor {name}")
        size = _tensor_bytes(name, dims, tensor_type)
        if offset != expected_offset:
            raise _Malformed(f"tensor {name} is not where the header says the data is")
        parameter_count += math.prod(dims)
        data_end = offset + size
        expected_offset = -(-data_end // alignment) * alignment

    data_start = -(-reader.pos // alignment) * alignment
    if data_start + data_end > reader.size:
        raise _Malformed("its tensor data runs past the end of the file (truncated?)")
    if reader.size > data_start + expected_offset:
        raise _Malformed("it has bytes after the end of its tensor data")

    architecture = metadata.get("general.architecture")
    if not isinstance(architecture, bytes):
        raise _Malformed("it does not name its architecture")
    architecture_text = _text(architecture, "the architecture")
    name_value = metadata.get("general.name")
    context_length = metadata.get(f"{architecture_text}.context_length")
    file_type = metadata.get("general.file_type")
    template = metadata.get("tokenizer.chat_template")
    return GGUFInfo(
        version=version,
        file_size=reader.size,
        architecture=architecture_text,
        name=_text(name_value, "the model name") if isinstance(name_value, bytes) else None,
        context_length=context_length if isinstance(context_length, int) else None,
        parameter_count=parameter_count,
        quantization=_quantization_name(file_type),
        has_chat_template=isinstance(template, bytes) and bool(template.strip()),
        tensor_count=tensor_count,
    )


def _quantization_name(file_type: object) -> str | None:
    if not isinstance(file_type, int) or isinstance(file_type, bool):
        return None
    try:
        return LlamaFileType(file_type).name.removeprefix("MOSTLY_").removeprefix("ALL_")
    except ValueError:
        return f"type {file_type}"


def check_gguf(path: str | os.PathLike[str]) -> GGUFInfo:
    """Validate `path` as a GGUF model and return its metadata, or raise ModelRefused."""
    path = Path(path)
    if path.suffix.lower() != ".gguf":
        raise ModelRefused(f"{path} is not a .gguf file; only GGUF models can be used.")
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                raise _Malformed("it is empty")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buffer:
                return _parse(_Reader(buffer, size))
    except _Malformed as reason:
        raise ModelRefused(f"{path} is not a valid GGUF model: {reason}.") from None
    except OSError as error:
        raise ModelRefused(f"{path} cannot be read: {error.strerror or error}.") from None
