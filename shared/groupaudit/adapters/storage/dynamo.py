"""What every aggregate of the DynamoDB single table shares (key design in docs/PIPELINE.md):
the retrying client, its backoff and what counts as transient, the store's errors, the
attribute codecs and :class:`Table`, the base each aggregate's class builds on."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import msgspec

from groupaudit.errors import GroupAuditError

BATCH_ITEMS = 25
RUN_TTL = timedelta(days=400)  # an audit request, its runs and their notices

# DynamoDB's transient answers: throttling, an internal error, a conflicting transaction. A
# call answered so (after the SDK's own retries) is tried again with exponential backoff and
# full jitter; a cancelled transaction only when no item's condition failed.
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
RETRYABLE_REASONS = frozenset(
    {"None", "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "InternalServerError"}
)


@dataclass(frozen=True)
class Backoff:
    """``attempts`` tries in all; before try n+1 a random wait of up to ``base_s * 2**n``
    seconds, never more than ``cap_s``."""

    attempts: int = 8
    base_s: float = 0.05
    cap_s: float = 2.0

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        return min(self.cap_s, self.base_s * 2**attempt) * rng()


RETRY = Backoff()


def transient(exc: BaseException) -> bool:
    """Is this a DynamoDB answer worth trying the same call again for? A call that timed out or
    lost its connection may have been applied: every write of the store may be repeated."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    lost = ReadTimeoutError | ConnectTimeoutError | ConnectionClosedError | EndpointConnectionError
    if isinstance(exc, lost):
        return True
    if not isinstance(exc, ClientError):
        return False
    code = exc.response.get("Error", {}).get("Code", "")
    if code == "TransactionCanceledException":
        reasons = exc.response.get("CancellationReasons") or []
        codes = {str(reason.get("Code") or "None") for reason in reasons}
        return bool(codes) and codes <= RETRYABLE_REASONS and codes != {"None"}
    return code in RETRYABLE_CODES


class RetryingClient:
    """A DynamoDB client whose calls are tried again (``backoff``) while DynamoDB answers a
    transient error; the last answer is raised as it came. Every write of the store may be
    repeated: each is conditional or sets the same values again."""

    def __init__(
        self, client: Any, backoff: Backoff | None = None, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._wrapped = client
        self._given = backoff  # None: the module's RETRY, read at each call
        self._sleep = sleep

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._wrapped, name)
        if name.startswith("_") or not callable(value):
            return value  # exceptions, meta

        def call(*args: Any, **kwargs: Any) -> Any:
            backoff = self._given or RETRY
            for attempt in range(backoff.attempts):
                try:
                    return value(*args, **kwargs)
                except Exception as exc:
                    if attempt + 1 >= backoff.attempts or not transient(exc):
                        raise
                self._sleep(backoff.delay(attempt))
            raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

        return call


class StoreError(GroupAuditError):
    """A store operation failed in a way the caller must handle (not a transient error)."""


class StaleAudit(StoreError):
    """A newer audit of the group has already been stored; this one must not overwrite it."""


class StoreConflict(StoreError):
    """DynamoDB cancelled a write for a reason other than a newer audit (a conflicting
    transaction, throttling): nothing of the batch was written; trying again may succeed."""


class BadCursor(StoreError):
    """A pagination cursor that this store did not issue."""


def group_pk(tenant: str, group: str) -> str:
    return f"TENANT#{tenant}#GROUP#{group}"


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: float) -> dict[str, str]:
    return {"N": repr(value) if isinstance(value, float) else str(value)}


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as plain Python (S, N, BOOL, NULL, L, M)."""
    return {key: _value(value) for key, value in item.items()}


def _value(value: dict[str, Any]) -> Any:
    ((kind, inner),) = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        number = float(inner)
        return int(number) if number.is_integer() else number
    if kind == "BOOL":
        return inner
    if kind == "NULL":
        return None
    if kind == "L":
        return [_value(v) for v in inner]
    if kind == "M":
        return plain(inner)
    if kind == "SS":
        return sorted(inner)
    raise StoreError(f"unsupported DynamoDB type {kind}")


R = TypeVar("R", bound=msgspec.Struct)


def record(found: dict[str, Any], kind: type[R], what: str) -> R:
    """A stored item (as plain Python) as its typed record; a StoreError names the item and
    the field that does not read (a corrupt or foreign item), never a half-read record."""
    try:
        return msgspec.convert(found, kind)
    except msgspec.ValidationError as exc:
        raise StoreError(f"the stored {what} does not read as a {kind.__name__}: {exc}") from None


def cancellation_codes(exc: Any) -> list[str]:
    """DynamoDB's ``CancellationReasons`` of a cancelled transaction, one code per item."""
    reasons = exc.response.get("CancellationReasons") or []
    return [str(reason.get("Code") or "None") for reason in reasons]


class Table:
    """The table, through a client whose calls are retried on DynamoDB's transient errors
    (:class:`RetryingClient`; one given already retrying is used as it is). Each aggregate's
    class extends it."""

    def __init__(
        self, table_name: str, client: Any = None, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.table = table_name
        self._sleep = sleep
        # a RetryingClient given is shared as it is (the aggregates of one Storage share one)
        self._client = client if client is None or isinstance(client, RetryingClient) else None
        if client is not None and self._client is None:
            self._client = RetryingClient(client, sleep=sleep)

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = RetryingClient(boto3.client("dynamodb"), sleep=self._sleep)
        return self._client

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item of a query, page by page (each page's call retried on its own)."""
        start: dict[str, Any] | None = None
        while True:
            more = {"ExclusiveStartKey": start} if start else {}
            page = self.client.query(TableName=self.table, **kwargs, **more)
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def put_items(self, items: Sequence[Mapping[str, Any]]) -> int:
        """Put these items (each a whole item: attribute name to DynamoDB-typed value, with its
        ``PK`` and ``SK``), replacing any of the same key, 25 a request with the unprocessed
        retried (a StoreError when some stay unprocessed); the number of items written."""
        self._batch_write([{"PutRequest": {"Item": dict(item)}} for item in items])
        return len(items)

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        """BatchWriteItem, 25 requests a call; what DynamoDB leaves unprocessed is sent again
        after an exponential backoff (``RETRY``), and a StoreError names how many requests were
        still unprocessed after the last attempt."""
        for start in range(0, len(requests), BATCH_ITEMS):
            pending = {self.table: requests[start : start + BATCH_ITEMS]}
            for attempt in range(RETRY.attempts):
                answer = self.client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break
                if attempt + 1 < RETRY.attempts:
                    self._sleep(RETRY.delay(attempt))
            else:
                left = sum(len(items) for items in pending.values())
                raise StoreError(
                    f"DynamoDB left {left} of {len(requests[start : start + BATCH_ITEMS])} batch writes "
                    f"unprocessed after {RETRY.attempts} attempts"
                )

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        """One item, read consistently; None when there is none."""
        answer = self.client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
        item: dict[str, Any] | None = answer.get("Item")
        return item or None
