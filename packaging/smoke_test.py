"""Smoke test of the frozen bundle: every command a user runs, and the desktop app, from
dist/Fieldscribe/ with a temporary home and no network.

.venv/bin/python packaging/smoke_test.py [BINARY]      (run by `make package`; exit 0 = passed)

Each frozen command runs under `unshare --net` (an empty network namespace) when the system
allows it, so a hidden download fails the test instead of passing quietly. stderr must be empty
unless a line is in EXPECTED_STDERR.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BINARY = ROOT / "dist" / "Fieldscribe" / "fieldscribe"
PASSPHRASE = "smoke test passphrase"
TEMPLATE = "building-inspection"
HANDWRITTEN_NOTE_READS = ["Home visit 14/03/2025", "BP 148/92", "Ramipril 5 mg daily"]
# The offscreen platform's notice (logged by Qt, not an app problem); nothing else is expected.
EXPECTED_STDERR = [re.compile(r".*This plugin does not support propagateSizeHints.*")]
COMMAND_TIMEOUT = 300
GUI_IDLE_TIMEOUT = 60


class SmokeFailure(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def network_isolation() -> list[str]:
    """`unshare --net` when this process may create a network namespace (root, or user
    namespaces allowed); otherwise no prefix."""
    try:
        probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=10)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return []
    return ["unshare", "--net"] if probe.returncode == 0 else []


def clean_environment(tmp: Path) -> dict[str, str]:
    """A user's environment in a temporary home: no venv, no Python variables, no display."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "FIELDSCRIBE_", "QT_", "XDG_"))
        and key not in {"VIRTUAL_ENV", "DISPLAY", "WAYLAND_DISPLAY", "LD_LIBRARY_PATH"}
    }
    runtime = tmp / "runtime"
    runtime.mkdir(mode=0o700)
    env.update(
        HOME=str(tmp / "home"),
        FIELDSCRIBE_HOME=str(tmp / "vault"),
        XDG_RUNTIME_DIR=str(runtime),
        PATH="/usr/bin:/bin",
        LANG="C.UTF-8",
    )
    return env


def unexpected_stderr(stderr: str) -> list[str]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return [line for line in lines if not any(p.fullmatch(line) for p in EXPECTED_STDERR)]


class Frozen:
    """Runs the frozen binary in the temporary home, isolated from the network."""

    def __init__(self, binary: Path, tmp: Path, prefix: list[str]) -> None:
        self.binary, self.tmp, self.prefix = binary, tmp, prefix
        self.env = clean_environment(tmp)
        self.passphrase_file = tmp / "passphrase"
        self.passphrase_file.write_text(PASSPHRASE + "\n", encoding="utf-8")

    def run(self, *args: str, expect: int = 0) -> str:
        command = [*self.prefix, str(self.binary), *args]
        started = time.perf_counter()
        done = subprocess.run(
            command,
            env=self.env,
            cwd=self.tmp,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
        seconds = time.perf_counter() - started
        shown = " ".join(Path(arg).name if "/" in arg else arg for arg in args)
        check(
            done.returncode == expect,
            f"`{shown}` exited {done.returncode} (expected {expect}); stderr:\n{done.stderr}",
        )
        extra = unexpected_stderr(done.stderr)
        check(not extra, f"`{shown}` wrote to stderr:\n" + "\n".join(extra))
        print(f"  ok  {shown}  ({seconds:.1f} s)")
        return done.stdout

    def run_json(self, *args: str) -> dict:
        stdout = self.run(*args)
        try:
            return json.loads(stdout)
        except json.JSONDecodeError as exc:
            raise SmokeFailure(f"`{' '.join(args)}` did not print JSON ({exc})") from None


def check_documents(output: dict, samples: list[Path], command: str) -> list[dict]:
    documents = output.get("documents")
    check(isinstance(documents, list), f"{command}: no documents list")
    sources = [document.get("source") for document in documents]
    check(sources == [str(s) for s in samples], f"{command}: sources {sources}")
    return documents


def check_digitize(output: dict, samples: list[Path]) -> None:
    lines = 0
    for document in check_documents(output, samples, "digitize"):
        check(bool(document.get("text", "").strip()), "digitize: no text")
        check(isinstance(document.get("pages"), list) and document["pages"], "digitize: pages")
        for page in document["pages"]:
            check({"page", "text", "lines"} <= page.keys(), f"digitize: page keys {list(page)}")
            for line in page["lines"]:
                check({"text", "confidence", "box"} <= line.keys(), "digitize: line keys")
                lines += 1
    check(lines > 0, "digitize: OCR found no line in any image page")
    # The bundle's own OpenCV build reads the handwritten sample as the venv's does.
    note = next(d for d in output["documents"] if d["source"].endswith("handwritten-note.png"))
    for expected in HANDWRITTEN_NOTE_READS:
        check(expected in note["text"], f"digitize: {expected!r} not in the handwritten note")


def check_summarize(output: dict, samples: list[Path]) -> None:
    for document in check_documents(output, samples, "summarize"):
        check(bool(document.get("summary")), "summarize: empty summary")
        for key in ("ungrounded", "read_unsurely"):
            check(isinstance(document.get(key), list), f"summarize: {key}")
        sections = document.get("sections")
        check(isinstance(sections, list) and sections, "summarize: sections")
        for section in sections:
            check({"id", "title", "summary"} <= section.keys(), "summarize: section keys")
    # The OCR's doubt of the handwritten note's restored blood pressure reaches its summary.
    note = next(d for d in output["documents"] if d["source"].endswith("handwritten-note.png"))
    check("148/92" in note["read_unsurely"], f"summarize: read_unsurely {note['read_unsurely']}")


def check_extract(output: dict, samples: list[Path]) -> None:
    for document in check_documents(output, samples, "extract"):
        check(document.get("template") == TEMPLATE, f"extract: template {document.get('template')}")
        fields = document.get("fields")
        check(isinstance(fields, dict) and fields, "extract: fields")
        for name, field in fields.items():
            keys = {"value", "evidence", "grounded", "read_unsurely", "valid", "source"}
            check(keys <= field.keys(), f"extract: keys of {name}")
    form = next(d for d in output["documents"] if d["source"].endswith("inspection-form.pdf"))
    check(bool(form["fields"]["property_address"]["value"]), "extract: no address on the form")


def make_age_key(tmp: Path) -> tuple[str, Path]:
    """A supervisor's age key pair, made here (pyrage from the venv), as an age key file."""
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    key_file = tmp / "supervisor.key"
    key_file.write_text(f"# public key: {identity.to_public()}\n{identity}\n", encoding="utf-8")
    key_file.chmod(0o600)
    return str(identity.to_public()), key_file


def cpu_ticks(pid: int) -> int:
    """User + system CPU time of a process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wait_until_idle(process: subprocess.Popen, timeout: float, quiet: float = 0.5) -> float:
    """Seconds from now until the process stopped using CPU (no more than one clock tick in
    `quiet` seconds): the window is up and the event loop waits. Raises if it exits first."""
    started = time.perf_counter()
    window_start, window_ticks = started, None
    while time.perf_counter() - started < timeout:
        check(process.poll() is None, f"the app exited early with {process.returncode}")
        try:
            ticks = cpu_ticks(process.pid)
        except (FileNotFoundError, ProcessLookupError):
            raise SmokeFailure("the app exited early") from None
        now = time.perf_counter()
        if window_ticks is None or ticks - window_ticks > 1:
            window_start, window_ticks = now, ticks
        elif now - window_start >= quiet:
            return window_start - started
        time.sleep(0.02)
    raise SmokeFailure(f"the app was still busy after {timeout:.0f} s")


def start_gui(frozen: Frozen) -> subprocess.Popen:
    env = dict(frozen.env, QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen(
        [*frozen.prefix, str(frozen.binary)],
        env=env,
        cwd=frozen.tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def check_gui(frozen: Frozen) -> None:
    """The desktop app starts offscreen, reaches its idle unlock screen, and on SIGTERM quits
    with exit code 0 and nothing on stderr."""
    process = start_gui(frozen)
    try:
        seconds = wait_until_idle(process, GUI_IDLE_TIMEOUT)
        process.send_signal(signal.SIGTERM)  # unshare execs the binary: same pid
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    check(process.returncode == 0, f"the app exited {process.returncode} on SIGTERM:\n{stderr}")
    extra = unexpected_stderr(stderr)
    check(not extra, "the app wrote to stderr:\n" + "\n".join(extra))
    log = Path(frozen.env["FIELDSCRIBE_HOME"]) / "logs" / "fieldscribe.log"
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    bad = [line for line in text.splitlines() if re.search(r" (ERROR|CRITICAL) |Traceback", line)]
    check(not bad, "the app logged errors:\n" + "\n".join(bad))
    print(f"  ok  desktop app: idle after {seconds:.1f} s, exit 0 on SIGTERM")


def leftover_processes(binary: Path) -> list[int]:
    """Processes still running the frozen binary (a model worker left behind, for example)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "exe")) == binary:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def smoke(binary: Path) -> None:
    check(binary.is_file() and os.access(binary, os.X_OK), f"{binary}: no executable; build first")
    samples_dir = binary.parent / "_internal" / "assets" / "samples"
    samples = sorted(path for path in samples_dir.iterdir() if path.is_file())
    check(len(samples) >= 3, f"{samples_dir}: the sample documents are missing")
    prefix = network_isolation()
    print(
        "network: none (every command runs under unshare --net)"
        if prefix
        else "network: NOT isolated (unshare --net is not permitted here)"
    )
    files = [str(path) for path in samples]
    with tempfile.TemporaryDirectory(prefix="fieldscribe-smoke-") as name:
        tmp = Path(name)
        frozen = Frozen(binary, tmp, prefix)
        version = frozen.run("--version").strip()
        expected = f"fieldscribe {importlib.metadata.version('fieldscribe')}"
        check(version == expected, f"--version printed {version!r}, expected {expected!r}")
        vault = ["--passphrase-file", str(frozen.passphrase_file)]
        created = frozen.run(*vault, "init")
        check("Created the vault" in created, "init: no confirmation")
        check_digitize(frozen.run_json(*vault, "digitize", *files, "--json"), samples)
        check_summarize(frozen.run_json(*vault, "summarize", *files, "--json"), samples)
        extract = frozen.run_json(*vault, "extract", *files, "--template", TEMPLATE, "--json")
        check_extract(extract, samples)
        recipient, key_file = make_age_key(tmp)
        export = tmp / "audit.fsaudit"
        frozen.run(*vault, "audit", "export", "--out", str(export), "--recipient", recipient)
        check(export.is_file() and export.stat().st_size > 0, "audit export: no file")
        # As a supervisor checks it: against the device key's fingerprint recorded at issue.
        fingerprint = frozen.run(*vault, "audit", "fingerprint").strip()
        report = frozen.run(
            "audit", "check", str(export), "--identity", str(key_file),
            "--expect-fingerprint", fingerprint,
        )  # fmt: skip
        check("intact" in report, f"audit check: {report.strip()}")
        check_gui(frozen)
    left = leftover_processes(binary.resolve())
    check(not left, f"frozen processes still running: {left}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", nargs="?", type=Path, default=DEFAULT_BINARY)
    args = parser.parse_args()
    binary = args.binary.absolute()
    print(f"smoke test of {binary}")
    try:
        smoke(binary)
    except SmokeFailure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    except subprocess.TimeoutExpired as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
