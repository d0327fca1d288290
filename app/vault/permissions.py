"""Only the user's account may read a vault's home: the folder 0700, every file in it 0600.

Applied when a vault is created or opened, so a home made by an older version, restored from a
backup or copied with default permissions is tightened too. Windows ignores these modes (its
per-user profile folder is what protects the home there).
"""

from __future__ import annotations

import os
import stat

from app.paths import Home


def secure_home(home: Home) -> None:
    """chmod the home to 0700 and everything under it to 0700 (folders) or 0600 (files)."""
    if not home.root.is_dir():
        return
    home.root.chmod(0o700)
    for folder, folders, files in os.walk(home.root):
        for name in folders:
            _chmod(os.path.join(folder, name), 0o700)
        for name in files:
            _chmod(os.path.join(folder, name), 0o600)


def _chmod(path: str, mode: int) -> None:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) == mode:
        return
    os.chmod(path, mode)
