"""Limits shared by every concurrent function: webhook replay protection (``NONCE#t /
signature``, remembered for the accepted window) and the robots' send rates (``RATE#key /
RATE``: a sliding log of the last sends, a block set by the platform's throttling, a version
for conditional writes)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from groupaudit.adapters.storage.dynamo import Table, n, s

NONCE_TTL = timedelta(minutes=10)


class Limits(Table):
    def remember_signature(
        self, tenant: str, signature: str, now: datetime, ttl: timedelta = NONCE_TTL
    ) -> bool:
        """True the first time a signature is seen; remembered for ``ttl``, which must cover
        the whole window in which its timestamp is accepted (twice the tolerance)."""
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    "PK": s(f"NONCE#{tenant}"),
                    "SK": s(signature),
                    "expires_at": n(int((now + ttl).timestamp())),
                },
                ConditionExpression="attribute_not_exists(PK)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def take_send_slot(self, key: str, windows: Iterable[tuple[int, float]], now: float) -> float:
        """Takes a send slot for robot ``key`` if every window ``(limit, seconds)`` allows one
        more send at ``now`` (epoch seconds) and the robot is not blocked: returns 0. Otherwise
        returns how many seconds to wait. The item keeps the last sends (a sliding log, exact
        for "at most N in any W seconds") and a version, and is written conditionally on that
        version: two notifiers never take the same slot."""
        windows = sorted(windows, key=lambda w: w[1])
        longest = max((seconds for _, seconds in windows), default=0.0)
        keep = max((limit for limit, _ in windows), default=1)
        item_key = {"PK": s(f"RATE#{key}"), "SK": s("RATE")}
        while True:
            item = self._get(item_key) or {}
            version = int(item["version"]["N"]) if "version" in item else 0
            blocked_until = float(item["blocked_until"]["N"]) if "blocked_until" in item else 0.0
            logged = sorted(float(value["N"]) for value in item.get("sent", {}).get("L", []))
            sent = [t for t in logged if t > now - longest]
            wait = max(0.0, blocked_until - now)
            for limit, seconds in windows:
                recent = [t for t in sent if t > now - seconds]
                if len(recent) >= limit:
                    wait = max(wait, recent[-limit] + seconds - now)
            if wait > 0:
                return wait
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item={
                        **item_key,
                        "type": s("rate"),
                        "sent": {"L": [n(t) for t in [*sent, now][-keep:]]},
                        "version": n(version + 1),
                        "blocked_until": n(blocked_until),
                        "expires_at": n(int(now + longest + 86_400)),
                    },
                    ConditionExpression="attribute_not_exists(PK) OR version = :v",
                    ExpressionAttributeValues={":v": n(version)},
                )
            except self.client.exceptions.ConditionalCheckFailedException:
                continue  # another notifier took a slot meanwhile: look again
            return 0.0

    def block_sends(self, key: str, until: float) -> None:
        """The platform throttled robot ``key``: nobody sends through it before ``until``
        (epoch seconds). A later block is never shortened by an earlier one."""
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.client.update_item(
                TableName=self.table,
                Key={"PK": s(f"RATE#{key}"), "SK": s("RATE")},
                UpdateExpression="SET blocked_until = :until, #t = :type ADD version :one",
                ConditionExpression="attribute_not_exists(blocked_until) OR blocked_until < :until",
                ExpressionAttributeNames={"#t": "type"},
                ExpressionAttributeValues={":until": n(until), ":type": s("rate"), ":one": n(1)},
            )
