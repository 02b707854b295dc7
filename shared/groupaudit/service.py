"""Services: read the inputs through the adapters, run the pure engine, return the report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from groupaudit.adapters.backups import local_backup_index
from groupaudit.adapters.download import DownloadError, sha256_from_url
from groupaudit.contracts import BackupIndex, Directory, Report, Snapshot
from groupaudit.engine import AuditContext, run_audit
from groupaudit.loading import load_directory, load_snapshot
from groupaudit.perf import gc_paused
from groupaudit.policy import Policy, PolicySet, load_policy
from groupaudit.rules.documents import importance


def audit_snapshot(
    snapshot: Snapshot,
    *,
    policies: PolicySet,
    directory: Directory | None = None,
    backups: BackupIndex | None = None,
    now: datetime | None = None,
    lang: str = "zh",
    fetch_hashes: bool = True,
    first_notified: Mapping[str, datetime] | None = None,
    audit_id: str | None = None,
) -> Report:
    policy = policies.for_group(snapshot.group.kind, snapshot.group.id)
    fetched = _fetch_missing_hashes(snapshot, policy) if fetch_hashes and backups is not None else {}
    ctx = AuditContext(
        snapshot=snapshot,
        policy=policy,
        now=now or snapshot.taken_at,
        directory=directory,
        backups=backups,
        fetched_hashes=fetched,
        first_notified=first_notified or {},
        lang=lang,
    )
    with gc_paused():
        return run_audit(ctx, audit_id)


@dataclass(frozen=True)
class LocalInputs:
    """A tenant's inputs read from local files: the policy, the directory, the backup store."""

    policies: PolicySet
    directory: Directory | None = None
    backups: BackupIndex | None = None


def load_local_inputs(
    policy_path: str | Path | None = None,
    directory_path: str | Path | None = None,
    backups_dir: str | Path | None = None,
) -> LocalInputs:
    """Read and validate what is given; built-in policy defaults, no directory, no backups otherwise."""
    return LocalInputs(
        policies=load_policy(policy_path),
        directory=load_directory(directory_path) if directory_path else None,
        backups=local_backup_index(backups_dir) if backups_dir else None,
    )


def audit_files(
    snapshot_path: str | Path,
    *,
    directory_path: str | Path | None = None,
    policy_path: str | Path | None = None,
    backups_dir: str | Path | None = None,
    now: datetime | None = None,
    lang: str = "zh",
) -> Report:
    """Read, validate and audit one snapshot file (the benchmark's entry)."""
    inputs = load_local_inputs(policy_path, directory_path, backups_dir)
    snapshot = load_snapshot(snapshot_path)
    return audit_snapshot(
        snapshot,
        policies=inputs.policies,
        directory=inputs.directory,
        backups=inputs.backups,
        now=now,
        lang=lang,
    )


def _fetch_missing_hashes(snapshot: Snapshot, policy: Policy) -> dict[str, str]:
    """Hash the bytes of important files that come with a download_url but no sha256."""
    config = policy.files
    fetched: dict[str, str] = {}
    for file in snapshot.files or ():
        if file.sha256 or not file.download_url or not importance(file, config):
            continue
        try:
            fetched[file.id] = sha256_from_url(file.download_url)
        except DownloadError:
            continue  # stays "cannot verify backup"
    return fetched
