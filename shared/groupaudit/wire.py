"""The wire models: group registrations and queue messages (pydantic, parsed at every
boundary: SQS bodies, API bodies, DynamoDB items). They sit below the adapters, the notifiers
and the services, which all speak them; this module imports only ``groupaudit.contracts``.

Every model defers building its validator to first use (``defer_build``): a function builds
only the models its path touches, not all of them at import (cold start).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl, field_validator

from groupaudit.contracts import GROUP_KINDS

IdStr = str
# Tenant and group ids: 1 to 128 characters of letters, digits and ``. _ : @ -``, starting with a
# letter or a digit. They become parts of S3 keys (snapshots/{tenant}/{group}.json) and DynamoDB
# keys, so ``.`` and ``..``, any other dot-led id, path separators and control characters are refused.
_ID = r"^[A-Za-z0-9][A-Za-z0-9._:@\-]{0,127}$"
ID_RULE = "1 to 128 letters, digits or . _ : @ -, starting with a letter or a digit"
# The largest registration POST /groups accepts (bytes of the body): far below DynamoDB's 400 KB
# item limit, so a registration always fits its item with the store's own attributes beside it.
MAX_REGISTRATION_BYTES = 64 * 1024


SOURCE_VARIANTS: dict[str, tuple[str, ...]] = {
    "dingtalk": ("chat", "scene"),
    "wecom": ("customer", "internal"),
    "feishu": ("user_id", "open_id"),
}


def _loopback_or_https(value: HttpUrl | None, what: str) -> HttpUrl | None:
    if value is not None and value.scheme != "https" and value.host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"{what} must use https (http is allowed on loopback only)")
    return value


class SnapshotSource(BaseModel):
    """Where the worker gets the group's snapshot: a snapshot object in S3 (``s3``), or a pull
    from the chat platform's API (``slack``, ``feishu``, ``dingtalk``, ``wecom``; DingTalk and
    WeCom messages come from records dropped under ``drop_prefix``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    type: Literal["s3", "slack", "feishu", "dingtalk", "wecom"] = "s3"
    key: str | None = Field(
        None, description="s3: object key in SNAPSHOT_BUCKET; default snapshots/{tenant}/{group}.json"
    )
    chat_id: str | None = Field(
        None, max_length=256, description="the platform's id of the chat; default the group id"
    )
    secret_name: str | None = Field(
        None, description="Secrets Manager name (under SECRETS_PREFIX) of the app credentials (JSON)"
    )
    variant: str | None = Field(
        None, description="dingtalk: chat | scene; wecom: customer | internal; feishu: user_id | open_id"
    )
    base_url: HttpUrl | None = Field(None, description="API endpoint; the platform's public one by default")
    lookback_days: int | None = Field(
        None,
        ge=1,
        le=3650,
        description="days of messages (and files shared in them) to pull; default twice the longer of "
        "the group policy's inactive_days and stale_file_days, never less than that longer one plus a day",
    )
    drop_prefix: str | None = Field(
        None,
        description="dingtalk/wecom: S3 prefix of dropped message records; default drops/{tenant}/{group}/",
    )

    @field_validator("base_url")
    @classmethod
    def _https_only_outside_loopback(cls, value: HttpUrl | None) -> HttpUrl | None:
        return _loopback_or_https(value, "source base_url")

    def model_post_init(self, _: Any) -> None:
        if self.type == "s3":
            extra = [
                name
                for name in ("chat_id", "secret_name", "variant", "base_url", "drop_prefix")
                if getattr(self, name)
            ]
            if extra:
                raise ValueError(
                    f"an s3 source takes only key; {', '.join(extra)} belong to platform sources"
                )
            return
        if self.key is not None:
            raise ValueError(f"a {self.type} source pulls from the platform; key is for s3 sources")
        if not self.secret_name:
            raise ValueError(f"a {self.type} source needs secret_name (the app credentials)")
        variants = SOURCE_VARIANTS.get(self.type, ())
        if self.variant is not None and self.variant not in variants:
            allowed = f"one of {', '.join(variants)}" if variants else "none"
            raise ValueError(f"unknown {self.type} variant {self.variant!r}; {allowed}")
        if self.drop_prefix is not None and self.type not in ("dingtalk", "wecom"):
            raise ValueError(f"drop_prefix is for dingtalk and wecom; {self.type} messages come from its API")


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
        return _loopback_or_https(value, "webhook URLs")

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
    # What a platform cannot say about its group, given to pulled snapshots (SNAPSHOT_FORMAT's
    # group fields of the same names).
    department: str | None = Field(None, description="the department the group belongs to")
    exempt_member_ids: list[str] = Field(
        default_factory=list, description="members exempt from inactivity checks (e.g. leaders)"
    )
    allowed_external_ids: list[str] = Field(
        default_factory=list, description="outside members approved for this group"
    )
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

    def drop_prefix(self) -> str:
        return self.source.drop_prefix or f"drops/{self.tenant_id}/{self.group_id}/"

    def model_post_init(self, _: Any) -> None:
        if self.source.type not in ("s3", self.platform):
            raise ValueError(f"a {self.platform} group cannot be pulled from {self.source.type}")


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


class ScheduleEvent(BaseModel):
    """The scheduler function's event: the schedule's input (template.yaml's AuditSchedule sets it).
    The queue functions' records are Powertools' SQS record model with these messages as bodies
    (``groupaudit.pipeline.batch``)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    source: Literal["schedule"]
    tenant_id: str = Field("all", min_length=1)
    scheduled_time: str | None = Field(
        None, description="<aws.scheduler.scheduled-time>: makes retries idempotent"
    )
    workdays_only: bool = Field(
        False, description="skip days that are not Chinese working days (调休 included)"
    )
