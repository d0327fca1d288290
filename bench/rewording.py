"""Summaries of real notes with and without a model's rewording: what the faithfulness check
kept, the reference scorer's measures for both, and the time. Prints; asserts nothing.

.venv/bin/python bench/rewording.py [--set ../shared/devdata/notes] [--only 10] [--model F.gguf]
    [--kind clinical] [--compress] [--scorer ../shared/devdata/score]

--model is a GGUF file (default: the embedded model); without --compress the model is asked as
the app asks it (`model_may_reword`), with it always. The measures are those of the reference
scorer notes_score.py (fact recall by kind, dose-binding errors, invented numbers, length);
seconds are per 1,000 source words, the model already loaded.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.engine import Engine  # noqa: E402
from app.engine.gguf_check import check_gguf  # noqa: E402
from app.engine.registry import ModelRecord, _record_for, default_model  # noqa: E402
from app.jobs.summarize_text import summarize_text  # noqa: E402


def load_model(path: Path | None) -> ModelRecord:
    """The embedded model, or a GGUF file as the registry would record it once imported."""
    if path is None:
        return default_model()
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return _record_for(path.stem, path, digest.hexdigest(), check_gguf(path))


def report(label: str, rows: list[dict], seconds: float, words: int) -> None:
    for kind in sorted({row["kind"] for row in rows}):
        mine = [row for row in rows if row["kind"] == kind]
        found: dict[str, list[bool]] = defaultdict(list)
        for row in mine:
            for key, values in row["found"].items():
                found[key] += values
        every = [value for values in found.values() for value in values]
        parts = "  ".join(f"{key} {sum(v)}/{len(v)}" for key, v in found.items())
        print(
            f"{label:<8} {kind:<10} n={len(mine):<3} recall {sum(every) / max(1, len(every)):.3f} "
            f"({parts})  dose-err {sum(len(r['dose_errors']) for r in mine)}  "
            f"invented {sum(len(r['invented']) for r in mine)}  "
            f"length {sum(r['length'] for r in mine) / len(mine):.3f}"
        )
    print(f"{label:<8} {seconds / max(words, 1) * 1000:.2f} s per 1,000 words")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=Path("../shared/devdata/notes"))
    parser.add_argument("--only", type=int, default=10, help="the first N notes by name")
    parser.add_argument("--kind", choices=("clinical", "inspection"), help="only notes of a kind")
    parser.add_argument("--model", type=Path, help="a GGUF file (default: the embedded model)")
    parser.add_argument("--compress", action="store_true", help="always ask the model")
    parser.add_argument("--scorer", type=Path, default=Path("../shared/devdata/score"))
    args = parser.parse_args()
    if not (args.set / "truth.json").is_file() or not args.scorer.is_dir():
        print(f"no notes with truth.json in {args.set} or no scorer in {args.scorer}; skipped")
        return
    sys.path.insert(0, str(args.scorer.resolve()))
    import notes_score  # the reference scorer's definitions of the measures

    truth = json.loads((args.set / "truth.json").read_text())
    names = sorted(n for n in truth if args.kind in (None, truth[n]["kind"]))[: args.only]
    sources = {name: (args.set / name).read_text() for name in names}
    words = sum(len(text.split()) for text in sources.values())
    model = load_model(args.model)
    print(f"{len(names)} notes, {words} words; model {model.name} {model.sha256[:12]}")

    engine = Engine(model)
    try:
        engine.complete([{"role": "user", "content": "Hello"}], max_tokens=1)  # load it
        for label, use in (("extract", None), ("model", engine)):
            rows, asked, kept, start = [], 0, 0, time.perf_counter()
            for name in names:
                compress = True if args.compress and use else None
                result = summarize_text(sources[name], use, compress=compress)
                asked += result.provenance.get("model_asked", 0)
                kept += result.provenance.get("model_sections", 0)
                doc = {"summary": result.summary, "ungrounded": result.ungrounded}
                rows.append(notes_score.score_note(name, truth[name], sources[name], doc))
            report(label, rows, time.perf_counter() - start, words)
            if use:
                print(f"model rewordings kept {kept} of {asked} asked")
    finally:
        engine.close()


if __name__ == "__main__":
    main()
