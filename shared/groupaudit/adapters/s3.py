"""S3: snapshot drops, tenant inputs (directory, policy), the backup store, reports."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from typing import Any

from groupaudit.contracts import BackupIndex
from groupaudit.errors import GroupAuditError


class ObjectMissing(GroupAuditError):
    """The object a group's audit needs is not in the bucket."""


def _client(client: Any) -> Any:
    if client is not None:
        return client
    import boto3

    return boto3.client("s3")


def _is_missing(exc: Exception) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code")
    return code in ("NoSuchKey", "404", "NotFound")


def get_bytes(bucket: str, key: str, client: Any = None) -> bytes:
    from botocore.exceptions import ClientError

    try:
        return _client(client).get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if _is_missing(exc):
            raise ObjectMissing(f"no object at s3://{bucket}/{key}") from None
        raise


def get_optional_bytes(bucket: str, key: str, client: Any = None) -> bytes | None:
    try:
        return get_bytes(bucket, key, client)
    except ObjectMissing:
        return None


def put_json(bucket: str, key: str, body: bytes, client: Any = None) -> None:
    _client(client).put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def backup_key(tenant: str, digest: str) -> str:
    return f"{tenant}/sha256/{digest}"


def put_backup(bucket: str, tenant: str, data: bytes, client: Any = None) -> str:
    """Store bytes under their content hash, with S3 computing and checking the SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    _client(client).put_object(
        Bucket=bucket, Key=backup_key(tenant, digest), Body=data, ChecksumAlgorithm="SHA256"
    )
    return digest


def s3_backup_index(bucket: str, tenant: str, candidates: Iterable[str], client: Any = None) -> BackupIndex:
    """The candidate hashes the backup bucket really holds.

    An object counts only when S3's own SHA-256 checksum of it equals the hash; an object
    stored without a checksum is read and hashed.
    """
    from botocore.exceptions import ClientError

    s3 = _client(client)
    held = set()
    for digest in sorted(set(candidates)):
        key = backup_key(tenant, digest)
        try:
            head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        except ClientError as exc:
            if _is_missing(exc):
                continue
            raise
        checksum = head.get("ChecksumSHA256")
        if checksum and "-" not in checksum:
            if base64.b64decode(checksum).hex() == digest:
                held.add(digest)
            continue
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        hasher = hashlib.sha256()
        while chunk := body.read(1 << 20):
            hasher.update(chunk)
        if hasher.hexdigest() == digest:
            held.add(digest)
    return BackupIndex(hashes=frozenset(held), location=f"s3://{bucket}/{tenant}/sha256/")
