"""Quality of the jobs on real documents: the reference scorers run against the project's CLI.

    .venv/bin/python bench/quality.py [--only forms|forms-user|extract|notes|handwriting]
                                      [--limit N] [--data DIR] [--scorers DIR] [--cli CMD]

Runs ../shared/devdata/score/{forms_score,real_extract_score,notes_score,ocr_score}.py over the
dev folders (forms/, extract/, notes/, handwriting/) and prints one line per measure and target:

    forms: accuracy 0.49 (target >= 0.75)

`forms-user` runs the forms again with schemas as users write them (property names alone, or
descriptions alone; no title or label hints), scored with the forms scorer's own functions; the
issue sets no target for them.

Each scorer runs in a throwaway vault (made here, deleted after) and reads the documents where they
are: nothing is copied. `--limit N` scores the first N documents of each set (for handwriting
through a temporary folder of links to them). The full sets are what a claim rests on.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "devdata"  # beside the checkout, never inside it


@dataclass(frozen=True)
class Measure:
    """One figure read from a scorer's output and the target it is held to."""

    name: str
    pattern: str  # a regular expression: the group `value`, and `total` to report a rate
    target: float | None  # None: a figure reported without a target of the issue's
    higher_is_better: bool

    def read(self, output: str) -> float | None:
        match = re.search(self.pattern, output, re.MULTILINE)
        if match is None:
            return None
        value = float(match["value"])
        if "total" in match.groupdict():
            value /= max(1.0, float(match["total"]))
        return value

    def line(self, suite: str, value: float | None) -> str:
        sign = ">=" if self.higher_is_better else "<="
        if self.target is None:
            shown = "not measured" if value is None else f"{value:.3g}"
            return f"{suite}: {self.name} {shown} (no target)"
        if value is None:
            return f"{suite}: {self.name} not measured (target {sign} {self.target:g})"
        met = value >= self.target if self.higher_is_better else value <= self.target
        mark = "" if met else "  MISSED"
        return f"{suite}: {self.name} {value:.3g} (target {sign} {self.target:g}){mark}"


MEASURES = {
    "forms": [
        Measure("accuracy", r"^project\s*: accuracy (?P<value>[\d.]+)", 0.75, True),
        Measure(
            "wrong-but-grounded rate",
            r"^project\s*: accuracy [\d.]+ \(\d+/(?P<total>\d+)\)"
            r".*?wrong-but-grounded (?P<value>\d+)",
            0.02,
            False,
        ),
        Measure(
            "seconds per form", r"^project\s*: accuracy .* (?P<value>[\d.]+) s/form", 5.0, False
        ),
    ],
    # The same forms with schemas as users write them (`_user_schemas`): no title, no hints.
    "forms-user": [
        measure
        for style in ("names-only", "descriptions-only")
        for measure in (
            Measure(f"{style} accuracy", rf"^{style}: accuracy (?P<value>[\d.]+)", None, True),
            Measure(
                f"{style} wrong-but-grounded rate",
                rf"^{style}: accuracy [\d.]+ \(\d+/(?P<total>\d+)\)"
                r" wrong-but-grounded (?P<value>\d+)",
                None,
                False,
            ),
        )
    ],
    "extract": [
        Measure("accuracy on filled truth", r"^non-null accuracy (?P<value>[\d.]+)", 0.90, True),
        Measure("false fills", r"^false-fill rate (?P<value>[\d.]+)", 0.05, False),
        Measure("wrong-but-grounded", r"^wrong-but-grounded (?P<value>\d+)", 0, False),
    ],
    "notes": [
        Measure(
            "clinical fact recall", r"^clinical\s+n=\d+\s+recall (?P<value>[\d.]+)", 0.90, True
        ),
        Measure(
            "clinical diagnoses recall",
            r"^clinical\s+.*?diagnos\w* (?P<value>\d+)/(?P<total>\d+)",
            0.90,
            True,
        ),
        Measure(
            "inspection fact recall", r"^inspection\s+n=\d+\s+recall (?P<value>[\d.]+)", 0.85, True
        ),
        Measure("dose-binding errors", r"^all\s+.*dose-err (?P<value>\d+)", 0, False),
        Measure("invented numbers", r"^all\s+.*invented (?P<value>\d+)", 0, False),
        Measure("length of source", r"^all\s+.*length (?P<value>[\d.]+)", 0.35, False),
    ],
    "handwriting": [
        Measure("CER", r"^project: CER (?P<value>[\d.]+)", 0.12, False),
        Measure("empty outputs", r"^empty outputs (?P<value>\d+)", 0, False),
        Measure("seconds per line", r"^project: .* (?P<value>[\d.]+) s/image", 1.0, False),
    ],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=sorted(MEASURES), action="append")
    parser.add_argument("--limit", type=int, default=0, help="the first N documents of each set")
    parser.add_argument("--data", type=Path, default=DATA, help="the dev data folder")
    parser.add_argument("--scorers", type=Path, help="default: DATA/score")
    parser.add_argument("--cli", default=str(ROOT / ".venv" / "bin" / "fieldscribe"))
    args = parser.parse_args()
    scorers = args.scorers or args.data / "score"
    failed = 0
    for suite in args.only or list(MEASURES):
        with tempfile.TemporaryDirectory(prefix="fieldscribe-quality-") as work:
            env = _throwaway_vault(Path(work), args.cli)
            output = RUNNERS[suite](scorers, args.data, args.cli, args.limit, Path(work), env)
        for measure in MEASURES[suite]:
            value = measure.read(output)
            print(measure.line(suite, value), flush=True)
            failed += value is None
    return 1 if failed else 0


def _throwaway_vault(work: Path, cli: str) -> dict[str, str]:
    secret = work / "passphrase"
    secret.write_text("quality-bench-passphrase\n")
    env = {
        **os.environ,
        "FIELDSCRIBE_HOME": str(work / "home"),
        "FIELDSCRIBE_PASSPHRASE_FILE": str(secret),
    }
    made = subprocess.run([cli, "init"], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)  # fmt: skip
    if made.returncode != 0:
        sys.exit(f"quality: fieldscribe init failed: {made.stderr.strip()[-300:]}")
    return env


def _run(command: list[str], env: dict[str, str]) -> str:
    """A scorer's output (stdout and stderr), echoed so that a long run shows its progress."""
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    sys.stderr.write(done.stdout + done.stderr[-2000:])
    return done.stdout + "\n" + done.stderr


def _forms(scorers: Path, data: Path, cli: str, limit: int, work: Path, env) -> str:
    command = [sys.executable, str(scorers / "forms_score.py"), "--set", str(data / "forms"),
               "--cli", cli, "--no-baseline"]  # fmt: skip
    return _run(command + (["--limit", str(limit)] if limit else []), env)


def _user_schemas(items: list[dict]) -> dict[str, dict[str, tuple[str, dict]]]:
    """Each style of user schema for a form's questions: by question key, the property's name
    and schema. Names only: the question's words in snake_case, nothing else. Descriptions only:
    an opaque name, and the question's words, as a sentence starts, as the description."""
    return {
        "names-only": {item["key"]: (item["key"], {"type": "string"}) for item in items},
        "descriptions-only": {
            item["key"]: (f"field_{n}", {"type": "string",
                                         "description": item["label"].strip().capitalize()})
            for n, item in enumerate(items, 1)
        },  # fmt: skip
    }


def _forms_user(scorers: Path, data: Path, cli: str, limit: int, work: Path, env) -> str:
    """The forms set through the CLI with schemas as users write them (`_user_schemas`),
    scored as the reference scorer scores (its own item and judging functions)."""
    sys.path.insert(0, str(scorers))
    from forms_score import judge, load_items

    named = sorted((data / "forms").glob("*.fields.json"))[: limit or None]
    forms = [(path, path.parent / path.name.replace(".fields.json", ".png")) for path in named]
    # OCR once; each extract below reuses the stored reading of the same document.
    subprocess.run([cli, "digitize", *[str(image) for _, image in forms]], env=env,
                   capture_output=True)  # fmt: skip
    scores: dict[str, list[int]] = {}  # style: [right, wrong but grounded, questions]
    schema = work / "schema.json"
    for fields_path, image in forms:
        _, items = load_items(fields_path)
        if not items:
            continue
        for style, properties in _user_schemas(items).items():
            schema.write_text(json.dumps({"type": "object",
                                          "properties": dict(properties.values())}))  # fmt: skip
            command = [cli, "extract", "--json", "--template", str(schema), str(image)]
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                return f"extract of {image.name} failed: {done.stderr.strip()[-300:]}"
            fields = json.loads(done.stdout)["documents"][0]["fields"]
            score = scores.setdefault(style, [0, 0, 0])
            for item in items:
                got = fields.get(properties[item["key"]][0]) or {}
                exact, _ = judge(got.get("value"), item["truths"])
                score[0] += exact
                score[1] += bool(got.get("grounded")) and not exact
                score[2] += 1
    return "".join(
        f"{style}: accuracy {right / max(total, 1):.3f} ({right}/{total})"
        f" wrong-but-grounded {wrong_grounded}\n"
        for style, (right, wrong_grounded, total) in scores.items()
    )


def _extract(scorers: Path, data: Path, cli: str, limit: int, work: Path, env) -> str:
    scorer = [
        sys.executable,
        str(scorers / "real_extract_score.py"),
        "--set",
        str(data / "extract"),
    ]
    if not limit:
        return _run(scorer + ["--cli", cli], env)
    # The first N notes of each schema, through the CLI; the scorer then scores only those.
    truth = json.loads((data / "extract" / "truth.json").read_text(encoding="utf-8"))
    documents = []
    for schema in sorted({entry["schema"] for entry in truth.values()}):
        names = sorted(n for n, entry in truth.items() if entry["schema"] == schema)[:limit]
        done = subprocess.run(
            [cli, "extract", "--json", "--template", str(data / "extract" / schema),
             *[str(data / "extract" / name) for name in names]],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            return f"extract failed: {done.stderr.strip()[-300:]}"
        documents += json.loads(done.stdout)["documents"]
    saved = work / "extract-run.json"
    saved.write_text(json.dumps({"seconds": 0.0, "documents": documents}), encoding="utf-8")
    return _run(scorer + ["--rescore", str(saved)], env)


def _notes(scorers: Path, data: Path, cli: str, limit: int, work: Path, env) -> str:
    command = [sys.executable, str(scorers / "notes_score.py"), "--set", str(data / "notes"),
               "--cli", cli]  # fmt: skip
    return _run(command + (["--only", str(limit)] if limit else []), env)


def _handwriting(scorers: Path, data: Path, cli: str, limit: int, work: Path, env) -> str:
    folder = data / "handwriting"
    if limit:  # links to the first N line images and their truths, not copies
        folder = work / "handwriting"
        folder.mkdir()
        for image in sorted((data / "handwriting").glob("*.png"))[:limit]:
            for path in (image, image.with_suffix(".txt")):
                (folder / path.name).symlink_to(path)
    dump = work / "ocr-dump.json"
    output = _run([sys.executable, str(scorers / "ocr_score.py"), "--set", str(folder),
                   "--dump", str(dump), f"project:{cli}"], env)  # fmt: skip
    if dump.exists():
        images = json.loads(dump.read_text(encoding="utf-8")).get("project", {}).get("images", {})
        empty = sum(1 for entry in images.values() if not entry.get("hyp", "").strip())
        output += f"\nempty outputs {empty}\n"
    return output


RUNNERS: dict[str, Callable[..., str]] = {
    "forms": _forms,
    "forms-user": _forms_user,
    "extract": _extract,
    "notes": _notes,
    "handwriting": _handwriting,
}

if __name__ == "__main__":
    sys.exit(main())
