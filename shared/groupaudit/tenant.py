"""A tenant folder: the local form of one company's inputs (the demo and local runs).

TENANT_DIR/
  directory.json      the HR roster (optional)
  policy.yaml         the policy file (optional: built-in defaults)
  backups/            the backup store (optional)
  snapshots/*.json    one group snapshot per file

Every snapshot is audited as of ``now`` when given, else as of its ``taken_at``, which must not
lie in the future (``groupaudit.audittime``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from groupaudit.audittime import check_local_audit
from groupaudit.contracts import Report, Snapshot
from groupaudit.errors import InputError, Problem
from groupaudit.loading import load_snapshot
from groupaudit.service import audit_snapshot, load_local_inputs


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
    inputs = load_local_inputs(
        policy_path if policy_path.exists() else None,
        directory_path if directory_path.exists() else None,
        backups_dir if backups_dir.is_dir() else None,
    )
    snapshots = [load_snapshot(path) for path in paths]  # all valid, or nothing is audited
    for path, snapshot in zip(paths, snapshots, strict=True):
        check_local_audit(snapshot, now, str(path))  # no audit as of a time from the future
    return [
        (
            snapshot,
            audit_snapshot(
                snapshot,
                policies=inputs.policies,
                directory=inputs.directory,
                backups=inputs.backups,
                now=now,
                lang=lang,
            ),
        )
        for snapshot in snapshots
    ]
