"""The front ends reach the vault and the audit log through the session (app/session.py): of
app.vault and app.audit, ui/ and app/cli/ import only plain data (dataclasses, constant sets)
and errors: never an operation, a module, the Vault itself, or a policy (the passphrase rules
come from the session's module) (DESIGN.md §2)."""

from __future__ import annotations

import ast
import dataclasses
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRONT_ENDS = sorted([*(ROOT / "ui").glob("*.py"), *(ROOT / "app" / "cli").glob("*.py")])
BELOW_THE_SESSION = ("app.vault", "app.audit")


def is_plain_data_or_error(value: object) -> bool:
    if isinstance(value, type):
        return dataclasses.is_dataclass(value) or issubclass(value, Exception)
    return isinstance(value, frozenset)  # a fixed vocabulary such as the audit ACTIONS


def imported(module: str, name: str) -> object:
    """What `from module import name` binds: an attribute, or else a submodule."""
    try:
        return getattr(importlib.import_module(module), name)
    except AttributeError:
        return importlib.import_module(f"{module}.{name}")


def imports_below_the_session(path: Path) -> list[str]:
    """Each name the file imports from app.vault or app.audit that is not plain data or an
    error, as module.name (a whole module imported counts as one)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith(BELOW_THE_SESSION)]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            BELOW_THE_SESSION
        ):
            found += [
                f"{node.module}.{alias.name}"
                for alias in node.names
                if not is_plain_data_or_error(imported(node.module, alias.name))
            ]
    return found


def test_the_front_ends_import_only_data_and_errors_from_below_the_session():
    assert len(FRONT_ENDS) >= 20
    offenders = {path.name: imports_below_the_session(path) for path in FRONT_ENDS}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_check_itself_catches_an_operation_and_a_module(tmp_path):
    front_end = tmp_path / "dialog.py"
    front_end.write_text(
        "from app.vault import Vault\nfrom app.audit import log\n"
        "from app.vault.keyslots import MIN_PASSPHRASE_LENGTH\n"
        "from app.audit.events import ACTIONS, AuditEvent\nfrom app.errors import BadInput\n",
        encoding="utf-8",
    )
    assert imports_below_the_session(front_end) == [
        "app.vault.Vault",
        "app.audit.log",
        "app.vault.keyslots.MIN_PASSPHRASE_LENGTH",
    ]
