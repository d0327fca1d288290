"""The local model engine (DESIGN.md §5): registry, GGUF validation, the worker-process runtime.

Importing this package loads no model and never imports llama_cpp; only the worker process does.
"""

from __future__ import annotations

from app.engine.errors import (
    ContextOverflow,
    EngineCrashed,
    EngineFailed,
    InvalidModelOutput,
    ModelExists,
    ModelNotFound,
    ModelRefused,
)
from app.engine.registry import (
    THREADS_SETTING,
    ModelRecord,
    active_model,
    get_model,
    import_model,
    list_models,
    remove_model,
    use_model,
)
from app.engine.runtime import Completion, Engine
from app.engine.settings import RuntimeSettings
from app.vault import Vault

__all__ = [
    "Completion",
    "ContextOverflow",
    "Engine",
    "EngineCrashed",
    "EngineFailed",
    "InvalidModelOutput",
    "ModelExists",
    "ModelNotFound",
    "ModelRecord",
    "ModelRefused",
    "RuntimeSettings",
    "THREADS_SETTING",
    "active_model",
    "engine_for",
    "get_model",
    "import_model",
    "list_models",
    "remove_model",
    "use_model",
]


def engine_for(vault: Vault, name: str | None = None) -> Engine:
    """An engine for the model `name` (`--model`), else the vault's active model.

    The thread count comes from the vault setting `engine.threads` when set. Nothing is loaded
    until `start_loading()` or the first request; the caller owns the engine and closes it.
    """
    record = get_model(vault, name) if name else active_model(vault)
    threads = vault.get_setting(THREADS_SETTING)
    settings = RuntimeSettings(n_threads=int(threads)) if threads else RuntimeSettings()
    return Engine(record, settings)
