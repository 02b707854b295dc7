"""What every platform source shares: the pull request, id mapping, dropped records, the
final validation, and the registry of sources.

A source is a module with ``pull(request: PullRequest, http: Http | None = None) ->
Snapshot``. It reads everything it needs first and builds the snapshot only at the end, so a
call that fails half-way raises :class:`~groupaudit.connectors.http.PlatformError` and no
half a group is ever audited.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import msgspec

from groupaudit.connectors.http import Http, PlatformError
from groupaudit.contracts import Snapshot
from groupaudit.errors import InputError, Problem
from groupaudit.loading import check_json_depth, decode_snapshot

SOURCES: dict[str, str] = {
    "slack": "groupaudit.connectors.slack_api",
    "feishu": "groupaudit.connectors.feishu",
    "dingtalk": "groupaudit.connectors.dingtalk",
    "wecom": "groupaudit.connectors.wecom",
}
DEFAULT_BASE_URLS: dict[str, str] = {
    "slack": "https://slack.com/api",
    "feishu": "https://open.feishu.cn",
    "dingtalk": "https://oapi.dingtalk.com",
    "wecom": "https://qyapi.weixin.qq.com",
}
MAX_DROP_BYTES = 256 * 1024 * 1024


class IdMap:
    """Platform user ids <-> directory ids (``tenants/{tenant}/idmap.json``, one mapping per
    platform). An id without a mapping stays the platform's id."""

    def __init__(self, to_directory: Mapping[str, str] | None = None) -> None:
        self._forward = dict(to_directory or {})
        self._backward = {directory: platform for platform, directory in self._forward.items()}

    def __bool__(self) -> bool:
        return bool(self._forward)

    def digest(self) -> str:
        """Identifies the mapping (a pull state is only reused under the same one)."""
        canonical = json.dumps(sorted(self._forward.items()), separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def directory_id(self, platform_id: str) -> str:
        return self._forward.get(platform_id, platform_id)

    def platform_id(self, directory_id: str) -> str:
        return self._backward.get(directory_id, directory_id)

    @classmethod
    def from_document(cls, data: Any, platform: str, source: str) -> IdMap:
        """``{"slack": {"U024BE7LH": "E001", ...}, "feishu": {...}}`` -> the platform's map."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise InputError(
                source, [Problem("", "expected an object of platform -> {platform id: directory id}")]
            )
        mapping = data.get(platform) or {}
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k and v for k, v in mapping.items()
        ):
            raise InputError(source, [Problem(platform, "expected an object of platform id -> directory id")])
        reverse: dict[str, str] = {}
        for platform_id, directory_id in mapping.items():
            if directory_id in reverse:
                raise InputError(
                    source,
                    [
                        Problem(
                            f"{platform}.{platform_id}",
                            f"directory id {directory_id} is already mapped from {reverse[directory_id]}",
                        )
                    ],
                )
            reverse[directory_id] = platform_id
        return cls(mapping)


class Drops(Protocol):
    """Message records dropped for a group (DingTalk, WeCom): ``(where, record)`` pairs in
    the order of their objects' names."""

    def records(self) -> Iterator[tuple[str, Mapping[str, Any]]]: ...


def parse_records(data: bytes, where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """A drop object: JSON Lines (``.jsonl``), a JSON array, or ``{"records": [...]}``;
    gzip-compressed when it starts with the gzip magic."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(where, [Problem("", f"not a valid gzip file: {exc}")]) from None
    check_json_depth(data, where)  # a parser's recursion must not end the run (and the group's record)
    text = data.decode("utf-8-sig", errors="strict") if data else ""
    whole: Any = None
    try:
        whole = json.loads(text) if text.strip() else []
    except ValueError as exc:
        if not text.lstrip().startswith("{"):  # not JSON Lines either
            raise InputError(where, [Problem("", f"invalid JSON: {exc}")]) from None
    if whole is not None:
        items = whole.get("records") if isinstance(whole, dict) and "records" in whole else whole
        items = items if isinstance(items, list) else [items]
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise InputError(where, [Problem(f"[{index}]", "expected a JSON object")])
            yield f"{where}[{index}]", item
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise InputError(where, [Problem(f"line {number}", f"invalid JSON: {exc}")]) from None
        if not isinstance(item, dict):
            raise InputError(where, [Problem(f"line {number}", "expected a JSON object")])
        yield f"{where}:{number}", item


@dataclass
class S3Drops:
    """Records under ``s3://bucket/prefix`` (every object, in key order)."""

    bucket: str
    prefix: str
    s3: Any

    def records(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        paginator = self.s3.get_paginator("list_objects_v2")
        keys = [
            item["Key"]
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix)
            for item in page.get("Contents", ())
            if not item["Key"].endswith("/") and item.get("Size", 0) <= MAX_DROP_BYTES
        ]
        for key in sorted(keys):
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            yield from parse_records(body, f"s3://{self.bucket}/{key}")


@dataclass
class FolderDrops:
    """Records in the files of a local folder (``groupaudit pull --drops DIR``)."""

    folder: Path

    def records(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        if not self.folder.is_dir():
            raise InputError(str(self.folder), [Problem("", "no such folder of dropped records")])
        for path in sorted(p for p in self.folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
            yield from parse_records(path.read_bytes(), str(path))


@dataclass
class NoDrops:
    def records(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        return iter(())


@dataclass(frozen=True)
class PullRequest:
    """Everything a source needs to pull one group."""

    platform: str
    tenant_id: str
    group_id: str  # our id of the group (the registry's)
    chat_id: str  # the platform's id of the conversation
    taken_at: datetime  # aware; the snapshot's taken_at, and the end of the message window
    since: datetime  # aware; messages from this time on
    credentials: Mapping[str, str] = field(repr=False)  # from the secret (JSON object)
    base_url: str | None = None  # API endpoint; the platform's public one by default
    kind: str | None = None
    name: str | None = None
    variant: str | None = (
        None  # dingtalk: chat | scene; wecom: customer | internal; feishu: user_id | open_id
    )
    ids: IdMap = field(default_factory=IdMap)
    drops: Drops = field(default_factory=NoDrops)
    max_download_bytes: int = 20 * 1024 * 1024  # files up to this size are downloaded to hash them
    # file id -> (size, sha256) an earlier pull hashed: not downloaded again (incremental pulls)
    known_files: Mapping[str, tuple[int | None, str]] = field(default_factory=dict)

    @property
    def api_base(self) -> str:
        return self.base_url or DEFAULT_BASE_URLS[self.platform]

    def credential(self, name: str) -> str:
        value = self.credentials.get(name)
        if not isinstance(value, str) or not value:
            raise PlatformError(
                self.platform,
                f"the credentials have no {name!r} (expected a JSON object with "
                f"{', '.join(CREDENTIAL_KEYS[self.platform])})",
                retryable=False,
            )
        return value

    def http(self, **kwargs: Any) -> Http:
        return Http(self.platform, self.api_base, secrets=self.credentials.values(), **kwargs)


CREDENTIAL_KEYS: dict[str, tuple[str, ...]] = {
    "slack": ("token",),
    "feishu": ("app_id", "app_secret"),
    "dingtalk": ("app_key", "app_secret"),
    "wecom": ("corp_id", "secret"),
}


def aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def epoch_s(value: float | int | str) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)


def epoch_ms(value: float | int | str) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, UTC)


def finish_snapshot(snapshot: Snapshot, platform: str) -> Snapshot:
    """Validates a snapshot a source built, as any snapshot is validated when read."""
    return decode_snapshot(msgspec.json.encode(snapshot), f"{platform} pull of {snapshot.group.id}")


def source_module(platform: str) -> Any:
    if platform not in SOURCES:
        raise ValueError(f"no snapshot source for {platform!r}; one of {', '.join(SOURCES)}")
    return importlib.import_module(SOURCES[platform])


def pull_snapshot(request: PullRequest, http: Http | None = None) -> Snapshot:
    """Pulls one group from its platform, validated; raises PlatformError or InputError."""
    pull: Callable[[PullRequest, Http | None], Snapshot] = source_module(request.platform).pull
    return finish_snapshot(pull(request, http), request.platform)
