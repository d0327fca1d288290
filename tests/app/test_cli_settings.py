"""`fieldscribe settings`: the date order a user sets is the one extraction reads dates in."""

from __future__ import annotations

import json

from tests.app.test_cli import fieldscribe

NOTE = "Home visit\nVisit date: 03/04/2026\nPulse: 72 bpm\n"
SCHEMA = {
    "type": "object",
    "properties": {"visit_date": {"type": "string", "format": "date", "title": "Visit date"}},
}


def test_the_date_order_set_is_the_one_extraction_reads_in(vault_home, passphrase_file, tmp_path):
    note = tmp_path / "visit.txt"
    note.write_text(NOTE, encoding="utf-8")
    schema = tmp_path / "visit.json"
    schema.write_text(json.dumps(SCHEMA), encoding="utf-8")
    home = vault_home.root

    def run(*args: str):
        return fieldscribe("--passphrase-file", passphrase_file, *args, home=home)

    def visit_date() -> str:
        extracted = run("extract", "--json", "--template", str(schema), str(note))
        assert extracted.returncode == 0, extracted.stderr
        return json.loads(extracted.stdout)["documents"][0]["fields"]["visit_date"]["value"]

    for order, read in (("month-first", "2026-03-04"), ("day-first", "2026-04-03")):
        assert run("settings", "date-order", order).returncode == 0
        shown = json.loads(run("settings", "show", "--json").stdout)
        assert shown["date_order_in_use"] == {"month-first": "MDY", "day-first": "DMY"}[order]
        assert visit_date() == read

    assert run("settings", "date-order", "locale").returncode == 0
    shown = json.loads(run("settings", "show", "--json").stdout)
    assert shown["date_order"] is None
    assert visit_date() == {"MDY": "2026-03-04", "DMY": "2026-04-03"}[shown["date_order_in_use"]]

    refused = run("settings", "date-order", "yesterday")
    assert refused.returncode == 2 and "invalid choice" in refused.stderr
    assert "Traceback" not in refused.stderr
