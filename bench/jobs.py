"""Summarize and extract on seeded evaluation sets: field accuracy, summary recall and grounding,
seconds per document — with the default model and without a model (deterministic passes only).

The documents and gold answers come from `tests/app/jobs/corpus.py` (a held-out seed gives a
fresh set). Field accuracy counts a field right when its value equals the gold answer (free text:
contains the gold phrase; a field the document does not state: left empty). "Wrong but grounded"
counts values that are wrong yet claim `grounded` — the target is zero.

    .venv/bin/python bench/jobs.py [--seed N] [--per-style N] [--case-files N] [--no-model]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine import Engine  # noqa: E402
from app.engine.registry import default_model  # noqa: E402
from app.jobs.extract import extract_fields  # noqa: E402
from app.jobs.summarize_text import summarize_text  # noqa: E402
from tests.app.jobs.corpus import case_file, extraction_cases, field_correct  # noqa: E402

TEMPLATES = ROOT / "assets" / "templates"


@dataclass
class Tally:
    right: int = 0
    total: int = 0
    wrong_grounded: int = 0
    seconds: list[float] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 0.0


def load_template(name: str) -> dict:
    return json.loads((TEMPLATES / f"{name}.json").read_text(encoding="utf-8"))


def bench_extract(engine: Engine | None, seed: int, per_style: int) -> dict[tuple[str, str], Tally]:
    """Field accuracy and wrong-but-grounded values per (template, style)."""
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    templates: dict[str, dict] = {}
    for case in extraction_cases(seed, per_style):
        schema = templates.setdefault(case.template, load_template(case.template))
        started = time.perf_counter()
        fields, _ = extract_fields(case.text, schema, engine)
        tally = tallies[(case.template, case.style)]
        tally.seconds.append(time.perf_counter() - started)
        for name, expected in case.gold.items():
            right = field_correct(name, expected, fields[name].value)
            tally.right += right
            tally.total += 1
            tally.wrong_grounded += (not right) and fields[name].grounded
    return tallies


@dataclass
class SummaryFigures:
    visits: int = 0
    kept: int = 0
    ungrounded: int = 0
    boilerplate_repeats: int = 0
    ratios: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    model_sections: int = 0
    sections: int = 0


def bench_summarize(engine: Engine | None, seed: int, files: int) -> SummaryFigures:
    """Recall of each visit's key finding or medication, ungrounded facts, length ratio."""
    figures = SummaryFigures()
    for number in range(files):
        case = case_file(seed * 1000 + number)
        started = time.perf_counter()
        result = summarize_text(case.text, engine)
        figures.seconds.append(time.perf_counter() - started)
        summary = result.summary.lower()
        figures.visits += len(case.visits)
        figures.kept += sum(
            all(term.lower() in summary for term in visit.key_terms) for visit in case.visits
        )
        figures.ungrounded += len(result.ungrounded)
        figures.boilerplate_repeats += sum(
            summary.count(sentence.lower()[:40]) for sentence in case.boilerplate
        )
        figures.ratios.append(len(result.summary) / len(case.text))
        figures.model_sections += result.provenance.get("model_sections", 0)
        figures.sections += len(result.sections)
    return figures


def report(label: str, tallies: dict[tuple[str, str], Tally], summary: SummaryFigures) -> None:
    print(f"\n== {label} ==")
    print("extraction: template / style            fields right   wrong+grounded   s/doc")
    total = Tally()
    for (template, style), tally in sorted(tallies.items()):
        print(
            f"  {template:<22} {style:<10} {tally.right:>4}/{tally.total:<4} {tally.accuracy:6.1%}"
            f"   {tally.wrong_grounded:>6}        {statistics.mean(tally.seconds):6.2f}"
        )
        total.right += tally.right
        total.total += tally.total
        total.wrong_grounded += tally.wrong_grounded
        total.seconds += tally.seconds
    print(
        f"  {'all':<33} {total.right:>4}/{total.total:<4} {total.accuracy:6.1%}"
        f"   {total.wrong_grounded:>6}        {statistics.mean(total.seconds):6.2f}"
    )
    print(
        f"summaries: {summary.kept}/{summary.visits} visits' key facts kept "
        f"({summary.kept / max(1, summary.visits):.1%}), {summary.ungrounded} ungrounded facts, "
        f"boilerplate repeated {summary.boilerplate_repeats}x, length ratio "
        f"mean {statistics.mean(summary.ratios):.2f} max {max(summary.ratios):.2f}, "
        f"{statistics.mean(summary.seconds):.2f} s/document, "
        f"model sentences accepted {summary.model_sections}/{summary.sections} sections"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-style", type=int, default=5)
    parser.add_argument("--case-files", type=int, default=4)
    parser.add_argument("--no-model", action="store_true", help="skip the run with the model")
    args = parser.parse_args()

    report(
        "without a model",
        bench_extract(None, args.seed, args.per_style),
        bench_summarize(None, args.seed, args.case_files),
    )
    if args.no_model:
        return
    with Engine(default_model()) as engine:
        engine.wait_until_loaded()
        report(
            f"with {engine.model.name}",
            bench_extract(engine, args.seed, args.per_style),
            bench_summarize(engine, args.seed, args.case_files),
        )


if __name__ == "__main__":
    main()
