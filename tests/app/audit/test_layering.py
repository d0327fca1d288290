"""The arrow runs one way: the vault uses the audit log writer; app/audit never imports
app/vault (DESIGN.md §2: the vault opens the transaction, the log writes into its connection)."""

from __future__ import annotations

import ast
from pathlib import Path

AUDIT = Path(__file__).resolve().parents[3] / "app" / "audit"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_audit_package_never_imports_the_vault():
    files = sorted(AUDIT.glob("*.py"))
    assert len(files) >= 6
    offenders = {
        path.name: sorted(m for m in imported_modules(path) if m.split(".")[:2] == ["app", "vault"])
        for path in files
    }
    assert {name: found for name, found in offenders.items() if found} == {}
