"""Summaries of multi-visit case files: every visit's key fact kept, nothing invented, at most a
third of the source, boilerplate once at most (here: never), every line citing its section."""

from __future__ import annotations

import re

import pytest

from app.cancel import CancelToken
from app.engine.registry import default_model
from app.errors import Cancelled
from app.jobs.grounding import SourceFacts, ungrounded
from app.jobs.summarize_text import _faithful, summarize_text
from tests.app.jobs.corpus import case_file


def _check(case, result):
    summary = result.summary.lower()
    for visit in case.visits:
        assert all(term.lower() in summary for term in visit.key_terms), (visit, result.summary)
    assert result.ungrounded == [] == ungrounded(result.summary, case.text)
    assert len(result.summary) <= len(case.text) / 3
    for sentence in case.boilerplate:
        assert sentence.lower()[:40] not in summary
    ids = {section["id"] for section in result.sections}
    for line in result.summary.splitlines():
        cited = re.findall(r"\[(S\d+)\]", line)
        assert cited and set(cited) <= ids, line


@pytest.mark.parametrize("seed", range(6))
def test_extractive_summaries_keep_every_visit_and_invent_nothing(seed):
    case = case_file(seed)
    result = summarize_text(case.text, None)
    _check(case, result)
    assert len(result.sections) == len(case.visits) + 1  # the file's header, then one per visit
    assert {"id", "title", "summary", "text"} <= set(result.sections[1])
    assert result.sections[1]["title"].startswith("Visit 1")
    assert result.provenance["method"] == "extractive"


def test_the_summary_streams_line_by_line_with_progress():
    case = case_file(11, visits=5)
    streamed: list[str] = []
    progress: list[tuple[int, int]] = []
    result = summarize_text(
        case.text,
        None,
        on_token=streamed.append,
        progress=lambda done, total, message: progress.append((done, total)),
    )
    assert "".join(streamed).rstrip("\n") == result.summary
    assert progress[-1] == (len(result.sections), len(result.sections))


def test_a_cancelled_summary_raises_cancelled():
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        summarize_text(case_file(1).text, None, cancel=cancel)


def test_blank_text_has_an_empty_summary():
    result = summarize_text("  \n", None)
    assert (result.summary, result.sections, result.ungrounded) == ("", [], [])


def test_a_model_rewording_is_rejected_when_it_adds_or_drops_facts():
    extract = "Amlodipine was increased to 5 mg twice daily. Observations: BP 121/68, pulse 55."
    section = "Visit 3 — 02/03/2026\nThe house was tidy. " + extract
    facts = SourceFacts(section)
    assert _faithful("Amlodipine increased to 5 mg twice daily.", extract, section, facts, "stop")
    for answer in (
        "Amlodipine increased to 10 mg twice daily.",  # a dose the section lacks
        "Amlodipine increased; BP 121/68.",  # the dose dropped
        "Amlodipine increased to 5 mg and treated with an anti-inflammatory.",  # new words
        "Dr Smith increased Amlodipine to 5 mg.",  # a new name
        extract + " More.",  # not shorter
    ):
        assert not _faithful(answer, extract, section, facts, "stop"), answer
    assert not _faithful("Amlodipine 5 mg", extract, section, facts, "length")  # cut off


@pytest.mark.slow
def test_the_default_model_rewordings_are_checked_before_use(engine):
    case = case_file(3, visits=2)
    result = summarize_text(case.text, engine, compress=True)
    _check(case, result)
    assert result.provenance["model"]["model_sha256"] == default_model().sha256
    # Without `compress`, a model this small is not asked to reword at all.
    assert summarize_text(case.text, engine).provenance["method"] == "extractive"
