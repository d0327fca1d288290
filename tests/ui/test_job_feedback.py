"""Job feedback as a user sees it: every dropped file its own row, failures in red with their
sentence, duplicates and misnamed files explained, the list scrolled to what is new."""

from __future__ import annotations

from PySide6.QtGui import QPalette

from tests.ui.conftest import drop_files, has_ended, unlock
from ui.job_panel import FAILED_COLOR

JOB_TIMEOUT = 60_000


def rows_by_title(workspace) -> dict:
    return {row.job.title: row for row in workspace.job_panel.rows.values()}


def test_dropped_files_each_get_a_row_that_says_what_happened(qtbot, window, tmp_path):
    visit = tmp_path / "visit.txt"
    visit.write_text("Home visit 03/02/2026. Pulse 78 bpm.\n", encoding="utf-8")
    same_bytes = tmp_path / "visit copy.txt"
    same_bytes.write_bytes(visit.read_bytes())
    damaged = tmp_path / "report.pdf"
    damaged.write_bytes(b"\x00\x01\x02 this was a PDF once \xff\xfe\x00")
    misnamed = tmp_path / "note.png"
    misnamed.write_text("Boiler pressure 1.5 bar.\n", encoding="utf-8")
    extra = [tmp_path / f"extra {n}.txt" for n in range(6)]
    for n, path in enumerate(extra):
        path.write_text(f"Extra note number {n}.\n", encoding="utf-8")

    unlock(qtbot, window)
    workspace = window.workspace
    drop_files(window, [visit, damaged, misnamed, same_bytes, *extra])
    qtbot.waitUntil(
        lambda: len(workspace.job_panel.rows) >= 10
        and all(has_ended(workspace, row.job) for row in workspace.job_panel.rows.values()),
        timeout=JOB_TIMEOUT,
    )
    rows = rows_by_title(workspace)
    assert {f"Add {p.name}" for p in [visit, damaged, misnamed, same_bytes, *extra]} <= set(rows)

    failed = rows["Add report.pdf"]
    assert failed.status.text() == (
        "Failed: report.pdf: is a damaged PDF (its content does not start as a PDF does)."
    )
    assert failed.status.palette().color(QPalette.ColorRole.WindowText) == FAILED_COLOR
    assert rows["Add visit.txt"].status.palette().color(QPalette.ColorRole.WindowText) != (
        FAILED_COLOR
    )

    assert rows["Add note.png"].status.text().startswith("Done: added as text:")
    assert rows["Add visit copy.txt"].status.text() == "Done: already in the vault as visit.txt"
    assert workspace.library.current_document().name == "visit.txt"  # the duplicate, selected

    # The newest row is scrolled into view, once the list has laid its rows out.
    bar = workspace.job_panel.scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())
