"""Backup stores, read as the set of SHA-256 hashes of the objects they hold."""

from __future__ import annotations

import hashlib
from pathlib import Path

from groupaudit.contracts import BackupIndex
from groupaudit.errors import InputError, Problem

_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def local_backup_index(folder: str | Path) -> BackupIndex:
    """Hash every file under ``folder``: the check trusts content, not names or flags."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(str(folder), [Problem("", "backup folder not found or not a directory")])
    hashes = frozenset(sha256_of(path) for path in sorted(root.rglob("*")) if path.is_file())
    return BackupIndex(hashes=hashes, location=f"local folder {root}")
