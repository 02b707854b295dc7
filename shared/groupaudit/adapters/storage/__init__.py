"""The DynamoDB single table, one module per aggregate (key design in docs/PIPELINE.md):

- ``dynamo``: the retrying client, its backoff, what is transient, the errors, the codecs and
  ``Table``, the base of every aggregate;
- ``groups``: the group registry and the tenants list;
- ``runs``: audit requests, their counters and the runs of their groups (``RunRecord``,
  ``AuditRecord``);
- ``guard``: the group's ``STATE`` item, so an older audit never overwrites a newer one;
- ``findings``: findings, their lifecycle and the member index (``StoredFinding``,
  ``FindingRecord``);
- ``notices``: notice deliveries, their claims and parts (``NoticeRecord``);
- ``limits``: webhook nonces and the robots' send rates.

Each reader returns typed records (msgspec Structs, frozen). :class:`Storage` is the table
with one object per aggregate, all through one retrying client; a service is given the
aggregates it uses (``storage.runs``, ``storage.findings``), or the Storage when it reaches
the whole table (the ledger, the report, its own items)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from groupaudit.adapters.storage.dynamo import Table
from groupaudit.adapters.storage.findings import Findings
from groupaudit.adapters.storage.groups import Groups
from groupaudit.adapters.storage.guard import Guard
from groupaudit.adapters.storage.limits import Limits
from groupaudit.adapters.storage.notices import Notices
from groupaudit.adapters.storage.runs import Runs

__all__ = ["Storage"]


class Storage(Table):
    """The table and its aggregates, every one through this table's retrying client."""

    def __init__(
        self, table_name: str, client: Any = None, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        super().__init__(table_name, client, sleep=sleep)
        shared = self.client  # built here (a boto3 client when none is given), never at import
        self.groups = Groups(table_name, shared, sleep=sleep)
        self.runs = Runs(table_name, shared, sleep=sleep)
        self.guard = Guard(table_name, shared, sleep=sleep)
        self.findings = Findings(table_name, shared, sleep=sleep)
        self.notices = Notices(table_name, shared, sleep=sleep)
        self.limits = Limits(table_name, shared, sleep=sleep)
