"""Put a tenant folder (events/sample-tenant layout) into the buckets and the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from groupaudit.adapters import s3
from groupaudit.adapters.storage import Storage
from groupaudit.loading import load_snapshot
from groupaudit.wire import GroupRegistration, NoticeChannel


def seed_tenant(
    folder: Path,
    *,
    s3_client: Any,
    store: Storage,
    snapshot_bucket: str,
    backup_bucket: str,
    channel: NoticeChannel | None = None,
) -> list[GroupRegistration]:
    """Upload the tenant's directory, policy, snapshots and backups; register its groups."""
    registrations = []
    snapshots = sorted((folder / "snapshots").glob("*.json"))
    tenants = set()
    for path in snapshots:
        snapshot = load_snapshot(path)
        tenant = snapshot.tenant
        tenants.add(tenant)
        s3_client.put_object(
            Bucket=snapshot_bucket, Key=f"snapshots/{tenant}/{snapshot.group.id}.json", Body=path.read_bytes()
        )
        registration = GroupRegistration(
            tenant_id=tenant,
            group_id=snapshot.group.id,
            platform=snapshot.platform,
            kind=snapshot.group.effective_kind,
            name=snapshot.group.name,
            notice=channel or NoticeChannel(),
        )
        store.groups.put_group(registration)
        registrations.append(registration)
    for tenant in tenants:
        for name in ("directory.json", "policy.yaml"):
            if (folder / name).exists():
                s3_client.put_object(
                    Bucket=snapshot_bucket, Key=f"tenants/{tenant}/{name}", Body=(folder / name).read_bytes()
                )
        backups = folder / "backups"
        if backups.is_dir():
            for path in sorted(backups.rglob("*")):
                if path.is_file():
                    s3.put_backup(backup_bucket, tenant, path.read_bytes(), s3_client)
    return registrations
