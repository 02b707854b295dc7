"""The whole table as one object: :class:`Store` composes the aggregates of
:mod:`groupaudit.adapters.storage`, which hold the key design and every write.

Its ``get_audit``, ``get_run``, ``get_notice``, ``group_findings``, ``list_findings`` and
``member_history`` still answer plain dicts (the items as stored), for the callers not yet
moved to the typed readers (``audit``, ``run``, ``notice``, ``stored_findings``,
``findings_page``, ``member_findings``); the names below are re-exported for the same reason."""

from __future__ import annotations

from typing import Any

from groupaudit.adapters.storage.dynamo import (
    BATCH_ITEMS,
    RETRY,
    RETRYABLE_CODES,
    RETRYABLE_REASONS,
    RUN_TTL,
    Backoff,
    BadCursor,
    RetryingClient,
    StaleAudit,
    StoreConflict,
    StoreError,
    Table,
    transient,
)
from groupaudit.adapters.storage.dynamo import plain as _plain
from groupaudit.adapters.storage.dynamo import s as _s
from groupaudit.adapters.storage.findings import (
    RESOLVED_TTL,
    TRANSACTION_ITEMS,
    FindingRecord,
    Findings,
    StoredFinding,
    SyncResult,
    public_finding,
)
from groupaudit.adapters.storage.groups import Groups
from groupaudit.adapters.storage.guard import Guard
from groupaudit.adapters.storage.limits import NONCE_TTL, Limits
from groupaudit.adapters.storage.notices import NoticeRecord, Notices
from groupaudit.adapters.storage.runs import AuditRecord, RunRecord, Runs

__all__ = [
    "BATCH_ITEMS",
    "NONCE_TTL",
    "RESOLVED_TTL",
    "RETRY",
    "RETRYABLE_CODES",
    "RETRYABLE_REASONS",
    "RUN_TTL",
    "TRANSACTION_ITEMS",
    "AuditRecord",
    "Backoff",
    "BadCursor",
    "FindingRecord",
    "NoticeRecord",
    "RetryingClient",
    "RunRecord",
    "StaleAudit",
    "Store",
    "StoreConflict",
    "StoreError",
    "StoredFinding",
    "SyncResult",
    "Table",
    "_plain",
    "_s",
    "transient",
]


class Store(Groups, Runs, Guard, Findings, Notices, Limits):
    """Every aggregate of the table, through one retrying client."""

    def get_audit(self, tenant: str, audit_id: str) -> dict[str, Any] | None:
        return self._audit_plain(tenant, audit_id)

    def get_run(self, tenant: str, group: str, audit_id: str) -> dict[str, Any] | None:
        return self._run_plain(tenant, group, audit_id)

    def get_notice(self, tenant: str, group: str, audit_id: str) -> dict[str, Any] | None:
        return self._notice_plain(tenant, group, audit_id)

    def group_findings(self, tenant: str, group: str) -> dict[str, dict[str, Any]]:
        """Every stored finding of the group (open and resolved), by finding id."""
        return {item["finding_id"]["S"]: _plain(item) for item in self._stored_items(tenant, group)}

    def list_findings(
        self, tenant: str, group: str, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the group's findings, in rule order; ``cursor`` continues."""
        items, next_cursor = self._page(tenant, group, status, limit, cursor)
        return [public_finding(item) for item in items], next_cursor

    def member_history(self, tenant: str, member: str) -> list[dict[str, Any]]:
        return [public_finding(item) for item in self._member_items(tenant, member)]
