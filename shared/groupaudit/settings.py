"""Function configuration, validated once per invocation (never at import time).

``TABLE_NAME`` is needed by every function and command that reads the store, so it is
required when the settings are loaded. The queue URLs are needed by some callers only: they
may be absent, and reading one that is absent or empty raises :class:`ConfigError` naming the
variable and where its value comes from, instead of sending to a queue URL ``""``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from groupaudit.errors import GroupAuditError

#: The stack output (template.yaml ``Outputs``) that holds each variable's value.
STACK_OUTPUTS = {
    "TABLE_NAME": "TableName",
    "AUDIT_QUEUE_URL": "AuditQueueUrl",
    "NOTICE_QUEUE_URL": "NoticeQueueUrl",
    "SNAPSHOT_BUCKET": "SnapshotBucketName",
    "BACKUP_BUCKET": "BackupBucketName",
    "REPORT_BUCKET": "ReportBucketName",
    "API_URL": "ApiUrl",
}


class ConfigError(GroupAuditError):
    """A required setting is missing or invalid; names the variable."""


def missing(name: str) -> ConfigError:
    """The one-line error for a variable that is not set, saying how to set it."""
    output = STACK_OUTPUTS.get(name)
    where = (
        f"the stack's {output} output (aws cloudformation describe-stacks --stack-name STACK "
        '--query "Stacks[0].Outputs")'
        if output
        else "its value"
    )
    return ConfigError(f"{name} is not set: export {name}=… with {where}")


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(min_length=1, alias="TABLE_NAME")
    audit_queue_url_setting: str = Field("", alias="AUDIT_QUEUE_URL")
    notice_queue_url_setting: str = Field("", alias="NOTICE_QUEUE_URL")
    snapshot_bucket: str = Field("", alias="SNAPSHOT_BUCKET")
    backup_bucket: str = Field("", alias="BACKUP_BUCKET")
    report_bucket: str = Field("", alias="REPORT_BUCKET")
    api_url_setting: str = Field("", alias="API_URL")  # the report links' base (the reporter's)
    secrets_prefix: str = Field("groupaudit/", alias="SECRETS_PREFIX")
    renotify_days: float = Field(7, ge=0, alias="RENOTIFY_DAYS")
    notice_top: int = Field(10, ge=1, le=50, alias="NOTICE_TOP")
    max_receive_count: int = Field(5, ge=1, le=1000, alias="MAX_RECEIVE_COUNT")  # AuditQueue maxReceiveCount
    signature_tolerance_s: int = Field(300, ge=1, le=3600, alias="SIGNATURE_TOLERANCE_S")

    @property
    def audit_queue_url(self) -> str:
        """AUDIT_QUEUE_URL; ConfigError where it is needed and not set."""
        return _required("AUDIT_QUEUE_URL", self.audit_queue_url_setting)

    @property
    def notice_queue_url(self) -> str:
        """NOTICE_QUEUE_URL; ConfigError where it is needed and not set."""
        return _required("NOTICE_QUEUE_URL", self.notice_queue_url_setting)

    @property
    def api_url(self) -> str:
        """API_URL, the HTTP API's URL (report links); ConfigError where it is needed and not set."""
        return _required("API_URL", self.api_url_setting)


def _required(name: str, value: str) -> str:
    if not value.strip():
        raise missing(name)
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    try:
        return Settings.model_validate(dict(os.environ if environ is None else environ))
    except ValidationError as exc:
        errors = exc.errors()
        for error in errors:  # the required variable, absent or empty: say how to set it
            if tuple(error["loc"]) == ("TABLE_NAME",) and error["type"] in ("missing", "string_too_short"):
                raise missing("TABLE_NAME") from None
        problems = "; ".join(f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in errors)
        raise ConfigError(f"invalid function configuration: {problems}") from None
