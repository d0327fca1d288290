"""Engine vs llama-cpp-python called directly: the cost of the worker process.

The same ~900-token prompt and 256 generated tokens go through `app.engine.Engine` (worker
process, one pipe message per token) and through `llama_cpp.Llama` in this process, with the
same model and the same `RuntimeSettings` (n_ctx, threads, batch, seed, sampling). Runs alternate
between the two paths (ABBA) and the median of each figure is reported, after a warm-up run each.

Speed varies from run to run on a shared machine (here by up to 20% within a minute), so the
ratios and the first-token overhead compare each engine run with the direct run next to it: the
median of the paired ratios and of the paired differences, the latter printed with its spread.
The fixed cost of the worker (the request's trip, chat formatting, the first token's trip back)
is measured again on a short prompt, where evaluation is too short to hide anything.

    .venv/bin/python bench/engine.py [--runs N] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np

from app.engine import Engine, RuntimeSettings
from app.engine.registry import default_model

GENERATED_TOKENS = 256
PROMPT_TARGET_TOKENS = 900
SHORT_PROMPT = [{"role": "user", "content": "What is the capital of France?"}]
SHORT_PAIRS = 20

_VISIT = (
    "Visit {n}: the field team reached the village of {place} on day {n} and met {count} "
    "households. Water was drawn from a hand pump that had been repaired in the spring; two "
    "families reported fever in children under five, and the nurse recorded temperatures, "
    "weights and the doses of paracetamol given. The road was passable by motorbike only."
)
_PLACES = ["Kibera", "Mtwara", "Lindi", "Songea", "Tunduru", "Masasi", "Newala", "Nachingwea"]


@dataclass(frozen=True)
class Run:
    prompt_tokens: int
    first_token_s: float  # from the call to the first token: prompt evaluation + one sample
    generated: int
    generation_s: float  # from the first token to the last
    text: str

    @property
    def prompt_rate(self) -> float:
        return self.prompt_tokens / self.first_token_s

    @property
    def generation_rate(self) -> float:
        return (self.generated - 1) / self.generation_s


def build_messages(engine: Engine) -> list[dict[str, str]]:
    """A field report long enough that the chat prompt is about PROMPT_TARGET_TOKENS tokens."""
    instruction = (
        "Write a long, detailed summary of every visit below, one paragraph per visit, "
        "keeping all numbers.\n\n"
    )
    visits: list[str] = []
    while engine.count_tokens(instruction + "\n".join(visits)) < PROMPT_TARGET_TOKENS - 40:
        n = len(visits) + 1
        visits.append(_VISIT.format(n=n, place=_PLACES[n % len(_PLACES)], count=10 + 7 * n))
    return [{"role": "user", "content": instruction + "\n".join(visits)}]


def run_engine(
    engine: Engine, messages: list[dict[str, str]], max_tokens: int = GENERATED_TOKENS
) -> Run:
    times: list[float] = []
    pieces: list[str] = []

    def on_token(text: str) -> None:
        times.append(time.perf_counter())
        pieces.append(text)

    start = time.perf_counter()
    completion = engine.complete(messages, max_tokens=max_tokens, on_token=on_token)
    return Run(
        completion.prompt_tokens,
        times[0] - start,
        len(pieces),
        times[-1] - times[0],
        completion.text,
    )


def run_direct(
    llm, settings: RuntimeSettings, messages, prompt_tokens: int, max_tokens: int = GENERATED_TOKENS
) -> Run:
    times: list[float] = []
    pieces: list[str] = []
    llm.reset()  # as the engine does: no KV-cache reuse between requests
    start = time.perf_counter()
    for chunk in llm.create_chat_completion(
        messages, stream=True, **settings.sampling_kwargs(max_tokens)
    ):
        text = chunk["choices"][0]["delta"].get("content")
        if text:
            times.append(time.perf_counter())
            pieces.append(text)
    return Run(prompt_tokens, times[0] - start, len(pieces), times[-1] - times[0], "".join(pieces))


def paired_first_token_overhead(
    engine: Engine, llm, settings: RuntimeSettings, messages, pairs: int, max_tokens: int
) -> list[float]:
    """Engine minus direct time to first token, in seconds, for `pairs` adjacent ABBA pairs."""
    prompt_tokens = run_engine(engine, messages, max_tokens).prompt_tokens
    run_direct(llm, settings, messages, prompt_tokens, max_tokens)  # warm-up
    differences = []
    for index in range(pairs):
        paths = ("direct", "engine") if index % 2 == 0 else ("engine", "direct")
        first = {
            path: (
                run_engine(engine, messages, max_tokens)
                if path == "engine"
                else run_direct(llm, settings, messages, prompt_tokens, max_tokens)
            ).first_token_s
            for path in paths
        }
        differences.append(first["engine"] - first["direct"])
    return differences


def quartiles_ms(values: list[float]) -> tuple[float, float, float]:
    low, middle, high = statistics.quantiles(values, n=4)
    return low * 1000, middle * 1000, high * 1000


def copy_bandwidth(megabytes: int = 256, repeats: int = 5) -> float:
    """Bytes per second moved by a large numpy array copy (read plus write), best of a few."""
    source = np.ones(megabytes * 2**20 // 8)
    target = np.empty_like(source)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(target, source)
        best = min(best, time.perf_counter() - start)
    return 2 * source.nbytes / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="measured runs per path (default 8)")
    parser.add_argument("--threads", type=int, help="llama.cpp threads (default: physical cores)")
    args = parser.parse_args()

    import llama_cpp

    model = default_model()
    settings = RuntimeSettings(**({"n_threads": args.threads} if args.threads else {}))
    with Engine(model, settings) as engine:
        engine.wait_until_loaded()
        settings = engine.settings  # fitted to the model's context, as the worker got them
        llm = llama_cpp.Llama(**settings.llama_kwargs(model.path))
        messages = build_messages(engine)

        warm_up = run_engine(engine, messages)
        run_direct(llm, settings, messages, warm_up.prompt_tokens)
        engine_runs: list[Run] = []
        direct_runs: list[Run] = []
        for index in range(args.runs):
            # ABBA order, so a machine that speeds up or slows down favours neither path
            for path in ("direct", "engine") if index % 2 == 0 else ("engine", "direct"):
                if path == "direct":
                    direct_runs.append(run_direct(llm, settings, messages, warm_up.prompt_tokens))
                else:
                    engine_runs.append(run_engine(engine, messages))
        short_differences = paired_first_token_overhead(
            engine, llm, settings, SHORT_PROMPT, SHORT_PAIRS, max_tokens=1
        )

    def median(runs: list[Run], figure: str) -> float:
        return statistics.median(getattr(run, figure) for run in runs)

    direct_prompt = median(direct_runs, "prompt_rate")
    engine_prompt = median(engine_runs, "prompt_rate")
    direct_gen = median(direct_runs, "generation_rate")
    engine_gen = median(engine_runs, "generation_rate")
    pairs = list(zip(engine_runs, direct_runs, strict=True))  # each ran next to the other

    def paired_ratio(figure: str) -> float:
        return statistics.median(getattr(e, figure) / getattr(d, figure) for e, d in pairs)

    prompt_ratio = paired_ratio("prompt_rate")
    generation_ratio = paired_ratio("generation_rate")
    direct_first = median(direct_runs, "first_token_s") * 1000
    engine_first = median(engine_runs, "first_token_s") * 1000
    long_low, overhead, long_high = quartiles_ms(
        [e.first_token_s - d.first_token_s for e, d in pairs]
    )
    short_low, short_overhead, short_high = quartiles_ms(short_differences)
    same = all(run.text == warm_up.text for run in engine_runs + direct_runs)

    print(
        f"model {model.name} ({model.size / 1e6:.1f} MB), llama-cpp-python {llama_cpp.__version__}"
    )
    print(
        f"settings: n_ctx {settings.n_ctx}, threads {settings.n_threads}, "
        f"batch {settings.n_batch}, "
        f"temperature {settings.temperature}, seed {settings.seed}, "
        f"repeat_penalty {settings.repeat_penalty}"
    )
    print(
        f"prompt {warm_up.prompt_tokens} tokens, generated {warm_up.generated} tokens, "
        f"{args.runs} runs per path (medians); identical outputs: {'yes' if same else 'NO'}"
    )
    print()
    print(f"{'':24}{'direct':>10}{'engine':>10}{'engine/direct':>16}")
    print(f"{'prompt tokens/s':24}{direct_prompt:10.1f}{engine_prompt:10.1f}"
          f"{prompt_ratio:16.2f}")  # fmt: skip
    print(f"{'generated tokens/s':24}{direct_gen:10.1f}{engine_gen:10.1f}"
          f"{generation_ratio:16.2f}")  # fmt: skip
    print(f"{'time to first token ms':24}{direct_first:10.0f}{engine_first:10.0f}"
          f"{overhead:+13.0f} ms")  # fmt: skip
    print(
        f"first-token overhead, median of {args.runs} paired differences: {overhead:+.0f} ms "
        f"(quartiles {long_low:+.0f} to {long_high:+.0f} ms: prompt evaluation varies this much)"
    )
    print(
        f"fixed cost of the worker, short prompt, median of {SHORT_PAIRS} pairs: "
        f"{short_overhead:+.1f} ms (quartiles {short_low:+.1f} to {short_high:+.1f} ms)"
    )
    print()
    bandwidth = copy_bandwidth()
    needed = model.size * engine_gen
    print(
        f"bandwidth bound: {model.size / 1e6:.1f} MB x {engine_gen:.1f} tokens/s = "
        f"{needed / 1e9:.2f} GB/s of weights read, against {bandwidth / 1e9:.2f} GB/s measured "
        f"memory copy bandwidth (read + write): {needed / bandwidth:.0%} of it"
    )
    print(
        f"engine/direct: prompt {prompt_ratio:.2f}, "
        f"generation {generation_ratio:.2f}, "
        f"first-token overhead {overhead:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
