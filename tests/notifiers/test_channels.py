"""The generic webhook channel (groupaudit.notifiers.channels): a signed JSON POST through the
outbound pool, judged by its HTTP status alone. Real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime

import pytest

from groupaudit.local.peers.base import Peer, Request
from groupaudit.notifiers.channels import DeliveryError, WebhookChannel
from groupaudit.signing import sign_webhook
from groupaudit.wire import NoticeChannel, NoticeMessage


class Hook(Peer):
    """A tenant's webhook receiver answering ``status`` with ``body``."""

    status: int = 200
    body: bytes = b"accepted"

    def route(self, request: Request):
        return self.status, {}, self.body


def _notice() -> NoticeMessage:
    return NoticeMessage(
        tenant_id="acme",
        group_id="grp-x",
        audit_id="a" * 32,
        platform="wecom",
        channel=NoticeChannel(),
        text="【群规审计】测试",
        mention_ids=["u1"],
        findings=[("inactive_member", "f-1")],
        created_at=datetime(2026, 11, 20, tzinfo=UTC),
    )


def test_a_webhook_gets_the_signed_notice_and_its_2xx_is_a_delivery():
    # GIVEN a receiver answering 202
    with Hook() as hook:
        hook.status = 202
        # WHEN a notice is sent
        result = WebhookChannel(f"{hook.url}/hook", b"s3cret").send(_notice())
        (request,) = hook.received
    # THEN it was delivered, signed over the exact bytes received, keyed for idempotency
    assert result == "HTTP 202"
    timestamp = request.header("X-GroupAudit-Timestamp")
    assert timestamp is not None
    assert request.header("X-GroupAudit-Signature") == sign_webhook(b"s3cret", timestamp, request.body)
    assert request.header("Idempotency-Key") == f"{'a' * 32}:grp-x"
    assert json.loads(request.body)["findings"] == [{"rule": "inactive_member", "id": "f-1"}]


def test_a_webhook_answering_2xx_with_a_huge_body_is_delivered():
    # GIVEN a receiver that answers 200 with 2 MiB (more than the pool reads of a notice's answer)
    with Hook() as hook:
        hook.body = b"x" * (2 * 1024 * 1024)
        # WHEN a notice is sent
        result = WebhookChannel(f"{hook.url}/hook", b"s3cret").send(_notice())
        received = len(hook.received)
    # THEN the status decides: delivered, once
    assert result == "HTTP 200" and received == 1


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (429, True), (404, False)])
def test_a_webhook_refusal_says_whether_to_retry(status, retryable):
    # GIVEN a receiver refusing with ``status``
    with Hook() as hook:
        hook.status = status
        # WHEN a notice is sent
        with pytest.raises(DeliveryError) as raised:
            WebhookChannel(f"{hook.url}/hook", b"s3cret").send(_notice())
    # THEN the error names the status and says whether trying again may help
    assert str(raised.value) == f"webhook answered HTTP {status}"
    assert raised.value.retryable is retryable


def test_an_unreachable_webhook_is_retryable():
    # GIVEN a loopback port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # WHEN a notice is sent there
    with pytest.raises(DeliveryError) as raised:
        WebhookChannel(f"http://127.0.0.1:{port}/hook", b"s3cret").send(_notice())
    # THEN it may be retried, and the error says why
    assert raised.value.retryable is True
    assert str(raised.value) == "webhook unreachable: [Errno 111] Connection refused"
