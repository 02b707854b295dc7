"""A tenant folder: the local form of one company's inputs (the demo and local runs).

TENANT_DIR/
  directory.json      the HR roster (optional)
  policy.yaml         the policy file (optional: built-in defaults)
  backups/            the backup store (optional)
  snapshots/*.json    one group snapshot per file
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from groupaudit.adapters.backups import local_backup_index
from groupaudit.contracts import Report, Snapshot
from groupaudit.errors import InputError, Problem
from groupaudit.loading import load_directory, load_snapshot
from groupaudit.policy import load_policy
from groupaudit.service import audit_snapshot


def audit_tenant_folder(
    folder: Path, *, now: datetime | None = None, lang: str = "zh"
) -> list[tuple[Snapshot, Report]]:
    snapshots_dir = folder / "snapshots"
    paths = sorted(snapshots_dir.glob("*.json")) if snapshots_dir.is_dir() else []
    if not paths:
        raise InputError(str(folder), [Problem("snapshots/", "no snapshot files (*.json) found")])
    policy_path = folder / "policy.yaml"
    directory_path = folder / "directory.json"
    backups_dir = folder / "backups"
    policies = load_policy(policy_path if policy_path.exists() else None)
    directory = load_directory(directory_path) if directory_path.exists() else None
    backups = local_backup_index(backups_dir) if backups_dir.is_dir() else None
    snapshots = [load_snapshot(path) for path in paths]  # all valid, or nothing is audited
    return [
        (
            snapshot,
            audit_snapshot(
                snapshot, policies=policies, directory=directory, backups=backups, now=now, lang=lang
            ),
        )
        for snapshot in snapshots
    ]
