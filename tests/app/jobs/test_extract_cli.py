"""`fieldscribe extract` as a script uses it: a schema file by its path, a refused schema in one
sentence, the model's part per field, and one table for many documents."""

from __future__ import annotations

import csv
import json

from tests.app.test_cli import fieldscribe, one_line_error

NOTE = "Inspection notes (2026-09-14)\n- inspector: Grace Reid\n- risk level: MEDIUM\n"
SCHEMA = {
    "type": "object",
    "properties": {
        "inspector": {"type": "string", "description": "Who inspected the site."},
        "risk_level": {"type": "string", "enum": ["LOW", "MEDIUM", "HIGH"],
                       "description": "Risk found."},
        "actions": {"type": "array", "items": {"type": "string"}, "description": "Actions."},
    },
}  # fmt: skip


def test_a_schema_file_is_used_by_its_path_and_many_files_make_one_table(
    vault_home, passphrase_file, tmp_path
):
    schema = tmp_path / "my inspection.schema.json"
    schema.write_text(json.dumps(SCHEMA), encoding="utf-8")
    notes = []
    for number, text in enumerate((NOTE, "Nothing to report.\n")):
        note = tmp_path / f"note{number}.txt"
        note.write_text(text, encoding="utf-8")
        notes.append(note)
    table = tmp_path / "out.csv"
    done = fieldscribe("--passphrase-file", passphrase_file, "extract", *notes, "--json",
                       "--template", schema, "--table", table, home=vault_home.root)  # fmt: skip
    assert done.returncode == 0, done.stderr
    first, second = json.loads(done.stdout)["documents"]
    assert first["template"] == "my inspection"  # the file's name, its ".schema.json" aside
    fields = first["fields"]
    assert fields["inspector"]["value"] == "Grace Reid" and fields["inspector"]["grounded"]
    assert fields["risk_level"]["value"] == "MEDIUM"
    assert all(set(f) >= {"model_ran", "model_kept"} for f in fields.values())
    assert second["fields"]["inspector"]["value"] is None
    rows = list(csv.reader(table.read_text("utf-8-sig").splitlines()))
    assert [row[0] for row in rows[1:]] == [str(note) for note in notes]
    assert rows[1][rows[0].index("inspector")] == "Grace Reid"


def test_a_schema_that_is_not_a_template_is_refused_in_one_sentence(
    vault_home, passphrase_file, tmp_path
):
    note = tmp_path / "note.txt"
    note.write_text(NOTE, encoding="utf-8")
    for content, words in (('{"type": "array"}', "not a template"), ("{nope", "not valid JSON"),
                           ('{"type": "object", "properties": {"a": {"type": "date"}}}',
                            "unknown type")):  # fmt: skip
        schema = tmp_path / "bad.json"
        schema.write_text(content, encoding="utf-8")
        done = fieldscribe("--passphrase-file", passphrase_file, "extract", note, "--template",
                           schema, home=vault_home.root)  # fmt: skip
        assert done.returncode == 2
        assert words in one_line_error(done)
