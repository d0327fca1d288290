"""Small, valid GGUF files written with the gguf package (they pass validation; llama.cpp would
not run them)."""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np


def write_tiny_gguf(
    path: Path,
    *,
    architecture: str = "llama",
    chat_template: str | None = "{{ messages }}",
    fill: float = 0.0,
) -> Path:
    """A GGUF with two tensors; `fill` changes the tensor bytes (and so the SHA-256)."""
    writer = gguf.GGUFWriter(path, architecture)
    writer.add_context_length(256)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    if chat_template is not None:
        writer.add_chat_template(chat_template)
    writer.add_tensor("a.weight", np.full((4, 8), fill, dtype=np.float32))
    writer.add_tensor("b.weight", np.full((3,), fill, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
