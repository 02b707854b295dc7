"""Function configuration, validated once per invocation (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from groupaudit.errors import GroupAuditError


class ConfigError(GroupAuditError):
    """A required setting is missing or invalid; names the variable."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(min_length=1, alias="TABLE_NAME")
    audit_queue_url: str = Field("", alias="AUDIT_QUEUE_URL")
    notice_queue_url: str = Field("", alias="NOTICE_QUEUE_URL")
    snapshot_bucket: str = Field("", alias="SNAPSHOT_BUCKET")
    backup_bucket: str = Field("", alias="BACKUP_BUCKET")
    report_bucket: str = Field("", alias="REPORT_BUCKET")
    secrets_prefix: str = Field("groupaudit/", alias="SECRETS_PREFIX")
    renotify_days: float = Field(7, ge=0, alias="RENOTIFY_DAYS")
    notice_top: int = Field(10, ge=1, le=50, alias="NOTICE_TOP")
    max_receive_count: int = Field(5, ge=1, le=1000, alias="MAX_RECEIVE_COUNT")  # AuditQueue maxReceiveCount
    signature_tolerance_s: int = Field(300, ge=1, le=3600, alias="SIGNATURE_TOLERANCE_S")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    try:
        return Settings.model_validate(dict(os.environ if environ is None else environ))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise ConfigError(f"invalid function configuration: {problems}") from None
