"""Where Fieldscribe keeps things. Every location comes from here; nothing is created on import."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "Fieldscribe"
HOME_ENV = "FIELDSCRIBE_HOME"


@dataclass(frozen=True)
class Home:
    """One vault's directory and the files inside it."""

    root: Path

    @property
    def vault_db(self) -> Path:
        return self.root / "vault.db"

    @property
    def key_slots(self) -> Path:
        return self.root / "keys.json"

    @property
    def failed_unlocks(self) -> Path:
        """Plain sidecar counting failed unlock attempts (timestamps only, no content)."""
        return self.root / "failed-unlocks.json"

    @property
    def log_head(self) -> Path:
        """The audit log's size and root at the last commit, MACed (see app/vault/log_head.py)."""
        return self.root / "log-head.json"

    @property
    def vault_lock(self) -> Path:
        """Held shared by each process with the vault open, exclusively by a rekey."""
        return self.root / "vault.lock"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def logs(self) -> Path:
        return self.root / "logs"


def resolve_home(override: str | os.PathLike[str] | None = None) -> Home:
    """The home directory: `--home`, else FIELDSCRIBE_HOME, else the platform's user data dir."""
    if override:
        return Home(Path(override).expanduser().absolute())
    from_env = os.environ.get(HOME_ENV)
    if from_env:
        return Home(Path(from_env).expanduser().absolute())
    return Home(platformdirs.user_data_path(APP_NAME, appauthor=False))


def assets_dir() -> Path:
    """Bundled templates, samples and icons: inside a frozen bundle, or beside the source tree."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "assets"
    return Path(__file__).resolve().parents[1] / "assets"
