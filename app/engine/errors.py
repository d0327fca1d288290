"""The engine's known failures, each one sentence for the user."""

from __future__ import annotations

from app.errors import BadInput, FieldscribeError


class ModelRefused(BadInput):
    """A model file failed validation (or changed on disk); it never reaches llama.cpp."""


class ModelNotFound(BadInput):
    """No model by that name in the registry."""


class ModelExists(BadInput):
    """An imported model already has that name."""


class ContextOverflow(BadInput):
    """The prompt plus the tokens asked for do not fit the model's context."""

    def __init__(self, prompt_tokens: int, max_tokens: int, context_size: int) -> None:
        super().__init__(
            f"The prompt ({prompt_tokens} tokens) plus {max_tokens} tokens to generate "
            f"does not fit the model's context of {context_size} tokens."
        )
        self.prompt_tokens = prompt_tokens
        self.max_tokens = max_tokens
        self.context_size = context_size


class EngineFailed(FieldscribeError):
    """The model could not be loaded or a request failed inside the worker."""


class EngineCrashed(EngineFailed):
    """The worker process died or stopped answering; the next call starts a fresh one."""


class InvalidModelOutput(FieldscribeError):
    """The model's structured answer does not parse or does not match the schema."""
