"""OCR figures on generated handwritten notes: our pipeline beside RapidOCR 3.x with its defaults
and, when `tesseract` is on PATH, Tesseract. Prints; asserts nothing.

.venv/bin/python bench/ocr.py [--seeds 3] [--first-seed 1000] [--engines ours,rapidocr,tesseract]
.venv/bin/python bench/ocr.py --set ../shared/devdata/handwriting [--worst 5]

CER is case- and whitespace-insensitive, averaged over pages; seconds are per image, the engine
already loaded. Seeds from 1000 on are never used by the tests. `--set DIR` scores real images
instead: NAME.png (or .jpg) with its truth in NAME.txt, e.g. the dev set of handwriting lines.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ocr import recognize  # noqa: E402
from tests.app.ocr.notes import (  # noqa: E402
    STYLES,
    available_fonts,
    character_error_rate,
    evaluation_set,
)


def ours() -> Callable[[bytes], str]:
    return lambda image: recognize(image).text


def rapidocr_defaults() -> Callable[[bytes], str]:
    from rapidocr import RapidOCR

    engine = RapidOCR()
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)  # quiet; changes no result

    def read(image: bytes) -> str:
        return "\n".join(engine(image).txts or ())

    return read


def tesseract() -> Callable[[bytes], str]:
    def read(image: bytes) -> str:
        done = subprocess.run(
            ["tesseract", "-", "-", "-l", "eng"],
            input=image,
            capture_output=True,
            check=True,
            timeout=120,
        )
        return done.stdout.decode("utf-8", "replace")

    return read


ENGINES = {"ours": ours, "rapidocr": rapidocr_defaults, "tesseract": tesseract}


def score_folder(folder: Path, names: list[str], worst: int) -> None:
    """CER, empty readings and seconds per image of each engine on a folder of real images."""
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    pairs = [(p.read_bytes(), p.with_suffix(".txt").read_text()) for p in images]
    for name in names:
        read = ENGINES[name]()
        read(pairs[0][0])  # loads the models
        rows = []
        for (image, truth), path in zip(pairs, images, strict=True):
            start = time.perf_counter()
            text = read(image)
            rows.append(
                (character_error_rate(truth, text), time.perf_counter() - start, path, text)
            )
        empty = sum(not text.strip() for *_, text in rows)
        print(
            f"{name}: CER {statistics.mean(r[0] for r in rows):.4f}  empty {empty}  "
            f"{statistics.mean(r[1] for r in rows):.2f} s/image  (n={len(rows)})"
        )
        for cer, _, path, text in sorted(rows, key=lambda r: -r[0])[:worst]:
            print(f"  {cer:.3f} {path.name}: {' | '.join(text.splitlines())[:100]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="notes per font and style")
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--engines", default="ours,rapidocr,tesseract")
    parser.add_argument("--styles", default=",".join(STYLES))
    parser.add_argument("--worst", type=int, default=0, help="show the N worst pages per engine")
    parser.add_argument("--set", type=Path, help="a folder of real images with NAME.txt truth")
    args = parser.parse_args()

    names = [name for name in args.engines.split(",") if name]
    if "tesseract" in names and shutil.which("tesseract") is None:
        print("tesseract is not on PATH; skipped")
        names.remove("tesseract")
    if args.set:
        score_folder(args.set, names, args.worst)
        return
    styles = tuple(args.styles.split(","))
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    notes = evaluation_set(seeds, styles)
    print(
        f"{len(notes)} notes: {len(available_fonts())} fonts × {len(styles)} styles × "
        f"{args.seeds} seeds"
    )

    results: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for name in names:
        start = time.perf_counter()
        read = ENGINES[name]()
        read(notes[0].image)  # loads the models; not part of the per-image time
        print(f"{name}: ready in {time.perf_counter() - start:.1f} s", flush=True)
        per_style: dict[str, list[tuple[float, float]]] = {style: [] for style in styles}
        worst = []
        for note in notes:
            start = time.perf_counter()
            text = read(note.image)
            seconds = time.perf_counter() - start
            cer = character_error_rate(note.text, text)
            per_style[note.style].append((cer, seconds))
            worst.append((cer, note.style, Path(note.font).name, " | ".join(text.split("\n"))))
        results[name] = per_style
        for cer, style, font, text in sorted(worst, reverse=True)[: args.worst]:
            print(f"  {cer:.3f} {style:<6} {font:<28} {text[:110]}")

    header = f"{'':<10}" + "".join(f"{name + ' CER':>16}{'s/img':>8}" for name in names)
    print(header)
    for style in (*styles, "all"):
        row = f"{style:<10}"
        for name in names:
            pairs = [
                pair
                for key, values in results[name].items()
                if style in ("all", key)
                for pair in values
            ]
            row += f"{statistics.mean(c for c, _ in pairs):>16.4f}"
            row += f"{statistics.mean(s for _, s in pairs):>8.2f}"
        print(row)
    if "ours" in results and "rapidocr" in results:
        ours_all = statistics.mean(c for v in results["ours"].values() for c, _ in v)
        base_all = statistics.mean(c for v in results["rapidocr"].values() for c, _ in v)
        print(f"ours / rapidocr defaults = {ours_all / base_all:.2f} (target ≤ 1, aim 0.6)")


if __name__ == "__main__":
    main()
