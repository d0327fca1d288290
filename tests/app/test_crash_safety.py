"""SIGKILL the command line at random points of a batch of imports and jobs: every job it
reported finished is in the vault, nothing is half-stored, and the audit log verifies."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.audit import log
from app.jobs import latest_result
from app.vault import Vault
from tests.conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
KILLS = 30
KINDS = ("digitize", "summarize", "extract")
FIRST_RESULT_WAIT = 120.0  # seconds; only a broken CLI takes this long to finish one document


def write_batch(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for n in range(count):
        path = folder / f"visit-{n:02}.txt"
        path.write_text(
            f"Clinical home visit {n}\nPatient name: Alex Morgan{n}\n"
            f"Visit date: {n % 28 + 1:02}/03/2026\n"
            f"Blood pressure: {120 + n}/80\nPulse: {60 + n} bpm\n"
            f"Assessment: ankle swelling reduced; started furosemide {20 + n} mg daily.\n",
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def run_until_killed(
    args: list[str], env: dict, seconds: float, after_first_result: bool
) -> tuple[list[str], bool]:
    """Run the CLI, SIGKILL it `seconds` after its start (so during unlock or the first job),
    or `seconds` after it reported its first finished document (so mid-batch, however long the
    unlock took on a loaded machine): the sources it reported finished, and whether the kill
    interrupted it (rather than finding it done)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    output = b""
    waiting_for_first = after_first_result
    deadline = time.monotonic() + (FIRST_RESULT_WAIT if waiting_for_first else seconds)
    while (remaining := deadline - time.monotonic()) > 0:
        if select.select([child.stdout], [], [], remaining)[0]:
            chunk = os.read(child.stdout.fileno(), 65536)
            if not chunk:
                break
            output += chunk
            if waiting_for_first and b"== " in output:
                waiting_for_first = False
                deadline = time.monotonic() + seconds
    child.send_signal(signal.SIGKILL)
    output += child.stdout.read()
    stderr = child.stderr.read().decode()
    killed = child.wait() == -signal.SIGKILL
    child.stdout.close()
    child.stderr.close()
    assert "Traceback" not in stderr, stderr
    # The CLI prints a document's block only after its result is committed.
    finished = [line[3:] for line in output.decode().splitlines() if line.startswith("== ")]
    return finished, killed


@pytest.mark.slow
def test_killed_batches_lose_nothing_reported_and_leave_nothing_half_done(
    vault_home, passphrase_file, tmp_path
):
    sources = write_batch(tmp_path / "batch", 200)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDSCRIBE_")}
    env.update(
        FIELDSCRIBE_HOME=str(vault_home.root), FIELDSCRIBE_PASSPHRASE_FILE=str(passphrase_file)
    )
    rng = random.Random(99)
    reported: dict[str, set[str]] = {kind: set() for kind in KINDS}
    interrupted = 0
    for attempt in range(KILLS):
        kind = KINDS[attempt % len(KINDS)]
        batch = [str(path) for path in rng.sample(sources, len(sources))]
        args = [kind, *batch] + (["--template", "clinical-home-visit"] if kind == "extract" else [])
        after_first_result = attempt % 3 != 0
        seconds = rng.uniform(0.0, 1.5) if after_first_result else rng.uniform(0.3, 1.8)
        finished, killed = run_until_killed(args, env, seconds, after_first_result)
        reported[kind].update(finished)
        interrupted += killed

        vault = Vault.unlock(vault_home, PASSPHRASE)
        try:
            assert log.verify(vault) > 0
            documents = dict(vault.query("SELECT name, id FROM documents"))
            for done_kind, done in reported.items():
                for source in done:
                    result = latest_result(vault, documents[Path(source).name], done_kind)
                    assert result is not None, f"{done_kind} of {source} was reported but lost"
            # Nothing half-stored: every document has its pages and its import event, every
            # result its first revision and its job.finish event.
            events = log.read_events(vault)
            imported = {e.object_id for e in events if e.action == "document.import"}
            finished = {e.object_id for e in events if e.action == "job.finish"}
            for (document_id,) in vault.query("SELECT id FROM documents"):
                assert str(document_id) in imported
                assert vault.query(
                    "SELECT count(*) FROM pages WHERE document_id = ?", (document_id,)
                ) == [(1,)]
            for (result_id,) in vault.query("SELECT id FROM results"):
                assert str(result_id) in finished
                assert vault.query(
                    "SELECT min(revision) FROM result_revisions WHERE result_id = ?", (result_id,)
                ) == [(1,)]
        finally:
            vault.lock()
    # The kills landed in real work: most runs were cut short, and some had finished jobs.
    assert interrupted >= KILLS // 2
    assert sum(len(done) for done in reported.values()) > 0
