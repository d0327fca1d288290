"""The llama.cpp settings, in one place: the engine's worker and the benchmark's direct path both
build their `Llama(...)` and sampling arguments from here, so the two run identically."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path


def physical_cores() -> int:
    """Physical cores available to this process (llama.cpp gains nothing from SMT siblings)."""
    if sys.platform.startswith("linux"):
        cores = _linux_physical_cores()
        if cores:
            return cores
    elif sys.platform == "darwin":
        try:
            answer = subprocess.run(
                ["sysctl", "-n", "hw.physicalcpu"], capture_output=True, text=True, timeout=5
            )
            return max(1, int(answer.stdout))
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
    return os.cpu_count() or 1


def _linux_physical_cores() -> int | None:
    """Distinct (package, core) pairs among the CPUs this process may run on."""
    cores = set()
    for cpu in os.sched_getaffinity(0):
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            package = (topology / "physical_package_id").read_text().strip()
            core = (topology / "core_id").read_text().strip()
        except OSError:
            return None
        cores.add((package, core))
    return len(cores) or None


@dataclass(frozen=True)
class RuntimeSettings:
    """How a model is loaded and sampled. Jobs use the defaults: greedy, fixed seed, a repetition
    penalty, so the same input always gives the same output."""

    n_ctx: int = 4096
    n_threads: int = field(default_factory=physical_cores)
    n_batch: int = 512
    seed: int = 20240611
    temperature: float = 0.0
    repeat_penalty: float = 1.1
    # Only used when temperature > 0; pinned so provenance describes the sampler completely.
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05

    def fitted_to(self, model_context_length: int | None) -> RuntimeSettings:
        """These settings with the context no larger than the model was trained for."""
        if model_context_length and model_context_length < self.n_ctx:
            return replace(self, n_ctx=model_context_length)
        return self

    def llama_kwargs(self, model_path: str | os.PathLike[str]) -> dict[str, object]:
        """Arguments for `llama_cpp.Llama(...)`; chat_format=None lets it use the GGUF template."""
        return {
            "model_path": str(model_path),
            "n_ctx": self.n_ctx,
            "n_threads": self.n_threads,
            "n_threads_batch": self.n_threads,
            "n_batch": self.n_batch,
            "seed": self.seed,
            "chat_format": None,
            "verbose": False,
        }

    def sampling_kwargs(self, max_tokens: int) -> dict[str, object]:
        """Arguments for `create_completion` / `create_chat_completion`."""
        return {
            "max_tokens": max_tokens,
            "temperature": self.temperature,
            "seed": self.seed,
            "repeat_penalty": self.repeat_penalty,
            "top_k": self.top_k,
            "top_p": self.top_p,
            "min_p": self.min_p,
        }
