"""Model output and document text are shown as text, never interpreted as HTML."""

from __future__ import annotations

from app import jobs
from app.session import Session
from ui.document_view import ExtractTab, SummaryTab, TextTab

MARKUP = '<b>bold</b> <script>alert("x")</script> <img src=x onerror=alert(1)> &amp;'


def result(kind: str, content: dict) -> jobs.Result:
    return jobs.Result(1, 1, kind, 1, content, {})


def test_markup_in_text_summary_and_fields_stays_literal(qtbot, vault):
    text_tab = TextTab(Session(vault))
    qtbot.addWidget(text_tab)
    text_tab.show_result(result("digitize", {"text": MARKUP, "pages": []}))
    assert MARKUP in text_tab.editor.toPlainText()

    summary_tab = SummaryTab()
    qtbot.addWidget(summary_tab)
    summary = result(
        "summarize",
        {
            "summary": f"{MARKUP} [S1]",
            "sections": [{"id": "S1", "title": MARKUP, "summary": ""}],
            "ungrounded": [MARKUP],
        },
    )
    summary_tab.show_result(summary)
    assert summary_tab.text.toPlainText() == f"{MARKUP} [S1]"
    assert summary_tab.ungrounded.item(0).text() == MARKUP

    extract_tab = ExtractTab(Session(vault))
    qtbot.addWidget(extract_tab)
    field = {
        "value": MARKUP,
        "evidence": MARKUP,
        "grounded": False,
        "valid": True,
        "source": "model",
    }
    extract_tab.show_result(
        result("extract", {"template": "incident-report", "fields": {"description": field}}),
        MARKUP,
    )
    cells = [extract_tab.table.item(0, column) for column in range(extract_tab.table.columnCount())]
    assert MARKUP in [cell.text() for cell in cells if cell is not None]
    assert extract_tab.source_text.toPlainText() == MARKUP
