"""Notice channels of the pipeline: the console (logs, dry runs, local runs) and a generic
HTTP webhook signed with our own HMAC. The chat platforms' robots come in their own module.

A webhook is called through the process's connection pool (:mod:`groupaudit.outbound`), every
new connection through :mod:`groupaudit.netguard` (its host must resolve only to addresses the
``network`` allows; the deployed notifier passes ``netguard.PUBLIC``), and is never redirected:
a 3xx answer is a final refusal, its body never shown."""

from __future__ import annotations

import http.client
import json
import sys
import time
from collections.abc import Callable
from typing import IO, Protocol

from groupaudit import netguard, outbound
from groupaudit.errors import GroupAuditError
from groupaudit.signing import sign_webhook
from groupaudit.wire import NoticeMessage

TIMEOUT_S = 10
MAX_ANSWER_BYTES = 1024 * 1024  # a robot's or webhook's answer is a short status


class DeliveryError(GroupAuditError):
    """A notice could not be delivered; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Channel(Protocol):
    def send(
        self, notice: NoticeMessage, *, resume_from: int = 0, on_part: Callable[[int], None] | None = None
    ) -> str:
        """Delivers the notice; a channel that splits it into parts skips the first
        ``resume_from`` (sent by an earlier attempt) and reports each part sent to ``on_part``."""
        ...


class ConsoleChannel:
    """Writes the notice to a stream (stdout in local runs, the log in Lambda)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(
        self, notice: NoticeMessage, *, resume_from: int = 0, on_part: Callable[[int], None] | None = None
    ) -> str:
        self.stream.write(f"[notice → {notice.tenant_id}/{notice.group_id}]\n{notice.text}\n\n")
        self.stream.flush()
        return "written to console"


class WebhookChannel:
    """POSTs the notice as JSON, signed with the group's secret (see groupaudit.signing)."""

    def __init__(self, url: str, secret: bytes, *, network: netguard.Network = netguard.LOCAL_PEERS) -> None:
        self.url = url
        self.secret = secret
        self.network = network

    def send(
        self, notice: NoticeMessage, *, resume_from: int = 0, on_part: Callable[[int], None] | None = None
    ) -> str:
        body = json.dumps(
            {
                "tenant_id": notice.tenant_id,
                "group_id": notice.group_id,
                "audit_id": notice.audit_id,
                "platform": notice.platform,
                "text": notice.text,
                "mention_ids": notice.mention_ids,
                "findings": [{"rule": rule, "id": fid} for rule, fid in notice.findings],
            },
            ensure_ascii=False,
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GroupAudit-Timestamp": timestamp,
            "X-GroupAudit-Signature": sign_webhook(self.secret, timestamp, body),
            "Idempotency-Key": f"{notice.audit_id}:{notice.group_id}",
        }
        try:
            status = outbound.request(
                "POST",
                self.url,
                network=self.network,
                timeout=TIMEOUT_S,
                body=body,
                headers=headers,
                max_body=MAX_ANSWER_BYTES,
            ).status
        except netguard.AddressRefused as exc:
            raise DeliveryError(f"webhook refused: {exc}", retryable=False) from None
        except outbound.BodyTooLarge as exc:  # the status is what counts, not the body
            status = exc.status
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            raise DeliveryError(
                f"webhook unreachable: {getattr(exc, 'reason', exc)}", retryable=True
            ) from None
        if 200 <= status < 300:
            return f"HTTP {status}"
        retryable = status == 429 or status >= 500
        redirect = " (a redirect: webhooks are never redirected)" if 300 <= status < 400 else ""
        raise DeliveryError(f"webhook answered HTTP {status}{redirect}", retryable=retryable)
