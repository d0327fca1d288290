"""Extraction templates: JSON Schemas bundled in assets/templates/ or saved in the vault.

A template saved in the vault under a bundled template's name takes its place (a customized copy);
deleting it brings the bundled one back. Bundled files are never changed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.audit.events import canonical_json, utc_now
from app.engine.schema import check_schema
from app.errors import BadInput
from app.paths import assets_dir
from app.vault import Vault

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,79}")
_SCALAR_TYPES = {"string", "integer", "number", "boolean"}


@dataclass(frozen=True)
class Template:
    name: str
    schema: dict[str, Any]
    bundled: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(canonical_json(self.schema)).hexdigest()

    @property
    def fields(self) -> dict[str, dict[str, Any]]:
        return self.schema["properties"]


def check_template_schema(schema: Any, where: str) -> dict[str, Any]:
    """A template is an object schema whose properties are typed fields: a string, integer,
    number or boolean; an array of those or of objects of those; or an object of those."""
    check_schema(schema, where)
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        raise BadInput(f'{where} is not a template: it needs "type": "object" and properties.')
    if not schema["properties"]:
        raise BadInput(f"{where} is not a template: it has no properties.")
    for name, field in schema["properties"].items():
        _check_field(field, f"{where}: field '{name}'", nested=True)
    return schema


def _check_field(field: Any, where: str, nested: bool) -> None:
    kind = field.get("type") if isinstance(field, dict) else None
    if kind in _SCALAR_TYPES:
        return
    if nested and kind == "array" and isinstance(field.get("items"), dict):
        _check_field(
            field["items"], f"{where} items", nested=field["items"].get("type") == "object"
        )
        return
    if nested and kind == "object" and isinstance(field.get("properties"), dict):
        for name, child in field["properties"].items():
            _check_field(child, f"{where} property '{name}'", nested=False)
        return
    raise BadInput(
        f"{where} must have a type of string, integer, number or boolean, or be an array or "
        "object of those."
    )


def load_schema_file(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except IsADirectoryError:
        raise BadInput(f"{path}: is a folder, not a template file.") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the template ({exc.strerror}).") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"{path}: the template is not valid JSON ({exc}).") from None
    return check_template_schema(schema, str(path))


def schema_file_name(path: Path) -> str:
    """The template name a schema file stands for: its name without ".json", and without the
    ".schema" that JSON Schema files often carry ("visit.schema.json" is "visit")."""
    return path.stem.removesuffix(".schema")


def _bundled() -> dict[str, Template]:
    folder = assets_dir() / "templates"
    return {
        path.stem: Template(path.stem, load_schema_file(path), bundled=True)
        for path in sorted(folder.glob("*.json"))
    }


def list_templates(vault: Vault) -> list[Template]:
    templates = _bundled()
    for name, schema_json in vault.query("SELECT name, schema_json FROM templates"):
        templates[name] = Template(name, json.loads(schema_json), bundled=False)
    return sorted(templates.values(), key=lambda template: template.name)


def get_template(vault: Vault, name_or_path: str) -> Template:
    """A template by name, or a schema file given by its path (used as it is, not saved)."""
    for template in list_templates(vault):
        if template.name == name_or_path:
            return template
    path = Path(name_or_path)
    if path.suffix.lower() == ".json" or path.exists():
        return Template(schema_file_name(path), load_schema_file(path), bundled=False)
    known = ", ".join(template.name for template in list_templates(vault))
    raise BadInput(f"There is no template named '{name_or_path}' (known: {known}).")


def save_template(vault: Vault, name: str, schema: dict[str, Any]) -> Template:
    if not _NAME.fullmatch(name):
        raise BadInput(
            "A template name is 1–80 letters, digits, spaces, dots, dashes or underscores."
        )
    check_template_schema(schema, f"template '{name}'")
    template = Template(name, schema, bundled=False)
    now = utc_now()
    with vault.transaction() as tx:
        existing = tx.execute("SELECT id FROM templates WHERE name = ?", (name,)).fetchone()
        if existing:
            tx.execute(
                "UPDATE templates SET schema_json = ?, sha256 = ?, updated_utc = ? WHERE id = ?",
                (json.dumps(schema), template.sha256, now, existing[0]),
            )
            tx.audit("template.update", "template", existing[0], {"sha256": template.sha256})
        else:
            template_id = tx.execute(
                "INSERT INTO templates (name, schema_json, sha256, created_utc, updated_utc)"
                " VALUES (?, ?, ?, ?, ?)",
                (name, json.dumps(schema), template.sha256, now, now),
            ).lastrowid
            tx.audit("template.create", "template", template_id, {"sha256": template.sha256})
    return template


def delete_template(vault: Vault, name: str) -> None:
    with vault.transaction() as tx:
        row = tx.execute("SELECT id, sha256 FROM templates WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise BadInput(f"'{name}' is not a saved template (bundled ones cannot be deleted).")
        tx.execute("DELETE FROM templates WHERE id = ?", (row[0],))
        tx.audit("template.delete", "template", row[0], {"sha256": row[1]})
