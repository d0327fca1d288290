"""Templates: bundled ones, saved ones (audited), and schemas that are refused."""

from __future__ import annotations

import json

import pytest

from app.audit.log import read_events
from app.errors import BadInput
from app.jobs.templates import (
    delete_template,
    get_template,
    list_templates,
    load_schema_file,
    save_template,
)

VISIT = {
    "type": "object",
    "title": "Short visit",
    "properties": {
        "visit_date": {"type": "string", "format": "date", "description": "Date of the visit"},
        "pulse": {"type": "integer", "description": "Pulse in beats per minute"},
    },
}


def test_at_least_three_bundled_templates_are_valid(vault):
    bundled = {t.name: t for t in list_templates(vault) if t.bundled}
    assert {"building-inspection", "clinical-home-visit", "incident-report"} <= set(bundled)
    for template in bundled.values():
        assert template.schema["type"] == "object"
        for field in template.fields.values():
            assert field.get("description"), f"{template.name}: every field is described"


def test_saved_templates_are_audited_and_shadow_bundled_ones(vault):
    save_template(vault, "short-visit", VISIT)
    assert get_template(vault, "short-visit").schema == VISIT
    changed = {**VISIT, "title": "Short visit v2"}
    save_template(vault, "short-visit", changed)
    assert get_template(vault, "short-visit").schema["title"] == "Short visit v2"

    save_template(vault, "incident-report", VISIT)
    assert not get_template(vault, "incident-report").bundled
    delete_template(vault, "incident-report")
    assert get_template(vault, "incident-report").bundled

    actions = [e.action for e in read_events(vault) if e.action.startswith("template.")]
    assert actions == ["template.create", "template.update", "template.create", "template.delete"]
    with pytest.raises(BadInput, match="bundled ones cannot be deleted"):
        delete_template(vault, "building-inspection")


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "array"}, "not a template"),
        ({"type": "object", "properties": {}}, "not a template"),
        ({"type": "object", "properties": {"x": {"type": "object"}}}, "must have a type"),
        ({"type": "object", "properties": {"x": {"type": "string", "pattern": "("}}}, "pattern"),
        (
            {"type": "object", "properties": {"x": {"type": "string", "$ref": "#"}}},
            "does not support",
        ),
    ],
)
def test_bad_schemas_are_refused_in_one_sentence(vault, schema, message):
    with pytest.raises(BadInput, match=message):
        save_template(vault, "bad", schema)


def test_schema_files(tmp_path, vault):
    good = tmp_path / "visit.json"
    good.write_text(json.dumps(VISIT))
    assert load_schema_file(good) == VISIT
    assert get_template(vault, str(good)).name == "visit"
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(BadInput, match="not valid JSON"):
        load_schema_file(broken)
    with pytest.raises(BadInput, match="no template named"):
        get_template(vault, "no-such-template")
