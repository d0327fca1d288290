"""The tool windows: templates, models, audit log and settings."""

from __future__ import annotations

import json

import pyrage
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QTableWidgetItem

from app.audit.log import read_events
from app.engine import THREADS_SETTING
from app.jobs import templates
from tests.ui.conftest import drop_files, unlock, wait_for_model
from ui.settings import AUTOLOCK_SETTING

AGE_TIMEOUT = 60_000  # ms: age's passphrase encryption runs scrypt on purpose


def test_a_template_built_as_a_table_is_saved_as_json_schema_and_exported(qtbot, workspace,
                                                                          tmp_path):  # fmt: skip
    dialog = workspace.show_templates()
    qtbot.mouseClick(dialog.findChild(QPushButton, "newTemplate"), Qt.MouseButton.LeftButton)
    dialog.name.setText("Site visit")
    table = dialog.table
    table.item(0, 0).setText("inspector")
    table.item(0, 2).setText("Who inspected")
    dialog.add_field_row()
    table.setItem(1, 0, QTableWidgetItem("result"))
    table.item(1, 3).setText("pass, fail, pass with conditions")
    dialog.add_field_row()
    table.setItem(2, 0, QTableWidgetItem("visit_date"))
    table.cellWidget(2, 1).setCurrentText("date")
    with qtbot.waitSignal(dialog.templates_changed):
        qtbot.mouseClick(dialog.findChild(QPushButton, "saveTemplate"), Qt.MouseButton.LeftButton)

    (saved,) = [
        t for t in templates.list_templates(workspace.session.vault) if t.name == "Site visit"
    ]
    assert saved.schema == {
        "type": "object",
        "properties": {
            "inspector": {"type": "string", "description": "Who inspected"},
            "result": {"type": "string", "enum": ["pass", "fail", "pass with conditions"]},
            "visit_date": {"type": "string", "format": "date"},
        },
    }
    assert "template.create" in [e.action for e in read_events(workspace.session.vault)]
    combo = workspace.document_view.extract_tab.template
    assert combo.findText("Site visit") >= 0  # the Extract tab offers it at once

    exported = tmp_path / "site-visit.json"
    dialog.export_schema(exported)
    assert json.loads(exported.read_text()) == saved.schema
    dialog.new_template()
    dialog.import_schema(exported)
    assert dialog.name.text() == "site-visit"
    assert dialog.schema() == saved.schema
    conventional = exported.rename(tmp_path / "site-visit.schema.json")  # JSON Schema's habit
    dialog.import_schema(conventional)
    assert dialog.name.text() == "site-visit"

    (tmp_path / "bad.json").write_text('{"type": "array"}')
    dialog.import_schema(tmp_path / "bad.json")
    assert "not a template" in dialog.findChild(QLabel, "templateNote").text()


def test_a_bad_gguf_dropped_on_the_window_is_refused_in_one_sentence(qtbot, window, tmp_path):
    unlock(qtbot, window)
    workspace = window.workspace
    dialog = workspace.show_models()
    table = dialog.table
    assert table.rowCount() >= 1
    assert table.item(0, 0).text() == "●"  # the embedded model is the active one
    assert table.item(0, 1).text() == "SmolLM2-135M-Instruct"
    assert table.item(0, 5).text() == "b179c9523d0e"

    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 60)
    drop_files(window, [bad])
    message = dialog.findChild(QLabel, "modelsMessage")
    qtbot.waitUntil(lambda: "broken.gguf" in message.text() and "Importing" not in message.text(),
                    timeout=10_000)  # fmt: skip
    assert "\n" not in message.text() and "Traceback" not in message.text()
    assert table.rowCount() == 1
    (row,) = workspace.job_panel.rows.values()
    assert row.status.text().startswith("Failed: ")


def test_export_the_audit_log_and_check_it(qtbot, workspace, tmp_path):
    dialog = workspace.show_audit()
    table = dialog.table
    qtbot.waitUntil(lambda: dialog.model.rowCount() >= 2)  # vault.create, vault.unlock
    dialog.action.setCurrentText("vault.unlock")
    assert all(event.action == "vault.unlock" for event in dialog.model.events)
    dialog.action.setCurrentIndex(0)
    assert table.model().rowCount() == len(dialog.all_events)

    result = dialog.findChild(QLabel, "auditResult")
    dialog.verify()
    qtbot.waitUntil(lambda: result.text().startswith("The audit log is intact"))

    # To the supervisor's age key (a passphrase works too, but runs scrypt on purpose).
    supervisor = pyrage.x25519.Identity.generate()
    identity_file = tmp_path / "supervisor.key"
    identity_file.write_text(str(supervisor) + "\n")
    out = tmp_path / "first.fsaudit"
    export = dialog.export_dialog
    export.path.setText(str(out))
    export.recipient.setText(str(supervisor.to_public()))
    qtbot.mouseClick(export.findChild(QPushButton, "exportButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: result.text().startswith("Exported"), timeout=AGE_TIMEOUT)
    assert out.exists()

    check = dialog.check_dialog
    check.path.setText(str(out))
    check.identity.setText(str(identity_file))
    qtbot.mouseClick(check.findChild(QPushButton, "checkButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "intact" in result.text() or "TAMPERED" in result.text(),
                    timeout=AGE_TIMEOUT)  # fmt: skip
    assert result.text().startswith(f"{out}: intact")

    # A later export extends the first one; the wrong key is one sentence.
    second = tmp_path / "second.fsaudit"
    dialog.run_export(second, str(supervisor.to_public()), None)
    qtbot.waitUntil(lambda: result.text().startswith("Exported"), timeout=AGE_TIMEOUT)
    dialog.run_check(second, out, identity_file, None)
    qtbot.waitUntil(lambda: f"extends {out}" in result.text(), timeout=AGE_TIMEOUT)
    other = tmp_path / "other.key"
    other.write_text(str(pyrage.x25519.Identity.generate()) + "\n")
    dialog.run_check(second, None, other, None)
    qtbot.waitUntil(lambda: "cannot decrypt" in result.text(), timeout=AGE_TIMEOUT)


def test_settings_are_vault_settings(qtbot, workspace):
    wait_for_model(qtbot, workspace.window())
    dialog = workspace.show_settings()
    assert dialog.autolock.value() == 10
    dialog.autolock.setValue(3)
    dialog.threads.setValue(1)
    dialog.findChild(QComboBox, "appearance").setCurrentIndex(2)
    with qtbot.waitSignal(workspace.settings_saved):
        dialog.save()
    vault = workspace.session.vault
    assert vault.get_setting(AUTOLOCK_SETTING) == 3
    assert vault.get_setting(THREADS_SETTING) == 1
    assert vault.get_setting("ui.appearance") == "dark"
    assert workspace.window().idle_timer.interval() == 3 * 60_000
    assert workspace.engine.settings.n_threads == 1  # the model reloads with the new setting
