"""The pipeline's own records: group registrations and queue messages (pydantic, parsed at
every boundary: SQS bodies, API bodies, DynamoDB items).

Every model defers building its validator to first use (``defer_build``): a function builds
only the models its path touches, not all of them at import (cold start).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl, Json, field_validator

from groupaudit.contracts import GROUP_KINDS

IdStr = str
_ID = r"^[A-Za-z0-9._:@\-]{1,128}$"


class SnapshotSource(BaseModel):
    """Where the worker pulls the group's snapshot from (platform connectors come later)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    type: Literal["s3"] = "s3"
    key: str | None = Field(
        None, description="object key in SNAPSHOT_BUCKET; default snapshots/{tenant}/{group}.json"
    )


class NoticeChannel(BaseModel):
    """Where the group's notice goes. Secrets are referred to by name, never stored here."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    type: Literal["console", "webhook", "dingtalk", "wecom", "feishu", "slack"] = "console"
    url: HttpUrl | None = None
    secret_name: str | None = Field(
        None, description="Secrets Manager name (under SECRETS_PREFIX) of the HMAC key"
    )
    lang: Literal["zh", "en"] = "zh"
    dry_run: bool = False

    @field_validator("url")
    @classmethod
    def _https_only_outside_loopback(cls, value: HttpUrl | None) -> HttpUrl | None:
        if (
            value is not None
            and value.scheme != "https"
            and value.host not in ("127.0.0.1", "localhost", "::1")
        ):
            raise ValueError("webhook URLs must use https (http is allowed on loopback only)")
        return value

    def model_post_init(self, _: Any) -> None:
        if self.type == "webhook" and (self.url is None or not self.secret_name):
            raise ValueError("a webhook channel needs url and secret_name")
        if self.type in ("dingtalk", "wecom", "feishu", "slack") and self.url is None:
            raise ValueError(f"a {self.type} robot needs its webhook url")


class GroupRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    tenant_id: str = Field(pattern=_ID)
    group_id: str = Field(pattern=_ID)
    platform: Literal["dingtalk", "wecom", "feishu", "slack", "generic"]
    kind: str = "other"
    name: str | None = None
    source: SnapshotSource = Field(default_factory=SnapshotSource)
    notice: NoticeChannel = Field(default_factory=NoticeChannel)
    policy_overrides: dict[str, Any] = Field(
        default_factory=dict, description="a policy layer for this group"
    )
    enabled: bool = True

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in GROUP_KINDS:
            raise ValueError(f"unknown group kind {value!r}; one of {', '.join(GROUP_KINDS)}")
        return value

    def snapshot_key(self) -> str:
        return self.source.key or f"snapshots/{self.tenant_id}/{self.group_id}.json"


Trigger = Literal["schedule", "api", "manual"]


class AuditMessage(BaseModel):
    """One group to audit (the audit queue's message body)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    tenant_id: str = Field(pattern=_ID)
    group_id: str = Field(pattern=_ID)
    audit_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    trigger: Trigger
    requested_at: AwareDatetime


class NoticeMessage(BaseModel):
    """One digest to deliver (the notice queue's message body), rendered by the worker."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    tenant_id: str
    group_id: str
    audit_id: str
    platform: str
    channel: NoticeChannel
    text: str
    mention_ids: list[str]
    findings: list[tuple[str, str]] = Field(
        description="(rule, finding id) of the findings this notice tells about; their notified_at is set"
    )
    created_at: datetime


class SqsRecord(BaseModel):
    """An SQS event-source record (the fields Lambda sends). Powertools' own SqsRecordModel
    lives in a package that imports every AWS event model (~130 ms of cold start)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    messageId: str
    receiptHandle: str
    body: str
    attributes: dict[str, Any] = Field(default_factory=dict)
    messageAttributes: dict[str, Any] = Field(default_factory=dict)
    md5OfBody: str | None = None
    eventSource: str = "aws:sqs"
    eventSourceARN: str | None = None
    awsRegion: str | None = None


class AuditRecord(SqsRecord):
    body: Json[AuditMessage]  # type: ignore[assignment]


class NoticeRecord(SqsRecord):
    body: Json[NoticeMessage]  # type: ignore[assignment]
