"""Cases on a real vault: create, rename, list, assign documents; each change audited by id."""

from __future__ import annotations

import json

import pytest

from app.audit.log import read_events, verify
from app.errors import BadInput
from app.vault.cases import assign_document, create_case, list_cases, rename_case
from app.vault.documents import list_documents, record_view
from tests.helpers import add_text_documents

TITLE = "Home visit — Mrs Okafor, 12 Elm Road"


def test_cases_are_created_renamed_and_listed_with_their_document_counts(vault):
    first = create_case(vault, f"  {TITLE}  ")
    second = create_case(vault, "Bridge inspection")
    document_ids = add_text_documents(vault, 3)
    assign_document(vault, document_ids[0], first)
    assign_document(vault, document_ids[1], first)

    listed = {case.id: case for case in list_cases(vault)}
    assert listed[first].title == TITLE
    assert [(c.title, c.document_count) for c in list_cases(vault)] == [
        ("Bridge inspection", 0),
        (TITLE, 2),
    ]
    assert listed[first].created_utc.endswith("Z")

    rename_case(vault, second, "Bridge inspection, north span")
    assert {c.id: c.title for c in list_cases(vault)}[second] == "Bridge inspection, north span"


def test_documents_move_between_cases_and_out_of_them(vault):
    case_a, case_b = create_case(vault, "A"), create_case(vault, "B")
    (document_id,) = add_text_documents(vault, 1)

    def case_of() -> int | None:
        (document,) = [d for d in list_documents(vault) if d.id == document_id]
        return document.case_id

    assert case_of() is None
    assign_document(vault, document_id, case_a)
    assert case_of() == case_a
    assign_document(vault, document_id, case_b)
    assert case_of() == case_b
    assign_document(vault, document_id, None)
    assert case_of() is None

    assigns = [e for e in read_events(vault) if e.action == "document.assign"]
    assert [(e.object_id, e.details) for e in assigns] == [
        (str(document_id), {"case_id": case_a, "previous_case_id": None}),
        (str(document_id), {"case_id": case_b, "previous_case_id": case_a}),
        (str(document_id), {"case_id": None, "previous_case_id": case_b}),
    ]


def test_assigning_to_the_case_it_is_in_changes_and_records_nothing(vault):
    case_id = create_case(vault, "A")
    (document_id,) = add_text_documents(vault, 1)
    assign_document(vault, document_id, case_id)
    events = len(read_events(vault))
    assign_document(vault, document_id, case_id)
    assert len(read_events(vault)) == events


def test_case_events_carry_ids_never_titles(vault):
    case_id = create_case(vault, TITLE)
    rename_case(vault, case_id, TITLE + " (closed)")
    (document_id,) = add_text_documents(vault, 1)
    assign_document(vault, document_id, case_id)

    events = [e for e in read_events(vault) if e.action.startswith("case.")]
    assert [(e.action, e.object_type, e.object_id) for e in events] == [
        ("case.create", "case", str(case_id)),
        ("case.update", "case", str(case_id)),
    ]
    raw = json.dumps([row for row in vault.query("SELECT * FROM audit_events")], default=str)
    assert "Okafor" not in raw and "Elm Road" not in raw
    logged = len(read_events(vault))
    assert verify(vault) == logged  # the events are part of the signed log


def test_bad_titles_and_unknown_ids_are_refused_in_one_sentence(vault):
    with pytest.raises(BadInput, match=r"^A case needs a title\.$"):
        create_case(vault, "   ")
    case_id = create_case(vault, "A")
    with pytest.raises(BadInput, match=r"^A case needs a title\.$"):
        rename_case(vault, case_id, "")
    with pytest.raises(BadInput, match=r"^There is no case 999\.$"):
        rename_case(vault, 999, "B")
    (document_id,) = add_text_documents(vault, 1)
    with pytest.raises(BadInput, match=r"^There is no case 999\.$"):
        assign_document(vault, document_id, 999)
    with pytest.raises(BadInput, match=r"^There is no document 999\.$"):
        assign_document(vault, 999, case_id)
    assert [d.case_id for d in list_documents(vault)] == [None]
    assert [e.action for e in read_events(vault)].count("case.update") == 0


def test_a_view_is_one_event_with_the_document_id_and_no_details(vault):
    (document_id,) = add_text_documents(vault, 1)
    record_view(vault, document_id)
    (view,) = [e for e in read_events(vault) if e.action == "document.view"]
    assert (view.object_type, view.object_id, view.details) == ("document", str(document_id), {})
