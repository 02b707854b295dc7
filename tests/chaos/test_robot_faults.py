"""Robots failing as platforms fail: a refusal is tried again in place, a post that may have
been shown is never posted again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from groupaudit.local.chaos import ChaosRobots, Faults, Scenario
from groupaudit.local.peers.base import json_answer
from groupaudit.notifiers import robots
from groupaudit.notifiers.channels import DeliveryError
from groupaudit.notifiers.pacing import Pacer
from groupaudit.notifiers.robots import POST_ATTEMPTS, WeComRobot
from groupaudit.wire import NoticeChannel, NoticeMessage

PATH = "/cgi-bin/webhook/send"


def _notice() -> NoticeMessage:
    return NoticeMessage(
        tenant_id="acme",
        group_id="ops",
        audit_id="0" * 32,
        platform="wecom",
        channel=NoticeChannel(),
        text="## 群规检查\n- 张三 发了外链",
        mention_ids=["u1"],
        findings=[("external-link", "f1")],
        created_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    )


@pytest.fixture
def peer():
    faults = Faults(Scenario("t", "t", robot_accepts_then_fails=True), 1, rate=1.0)
    with ChaosRobots(faults=faults) as robots_peer:
        robots_peer.wecom.add("k")
        yield robots_peer


class FakePacer(Pacer):
    """A pacer that counts the slots it gives and records the blocks it is told, with no store."""

    def __init__(self) -> None:  # no store, platform or URL: nothing is paced for real
        self.slots = 0
        self.blocks: list[float | None] = []

    def __call__(self) -> None:
        self.slots += 1

    def throttled(self, retry_after_s: float | None) -> None:
        self.blocks.append(retry_after_s)


def test_a_post_answered_504_after_the_robot_took_it_is_not_posted_again(peer):
    # GIVEN a robot that shows the post, then its gateway answers 504
    peer.faults.active = True
    peer.faults.choice = lambda options: "accept-504"
    waits: list[float] = []
    # WHEN the notifier's robot sends (with its tries for refusals)
    detail = WeComRobot(peer.wecom_url("k"), sleep=waits.append, attempts=POST_ATTEMPTS).send(_notice())
    # THEN the group shows it once, it was posted once, and the detail says it had no answer
    assert len(peer.delivered) == 1 and len(peer.requests(PATH)) == 1
    assert detail == "wecom: 1 message delivered, 1 without an answer (not posted again)"
    assert waits == []


def test_a_post_the_robot_took_without_ever_answering_is_not_posted_again(peer, monkeypatch):
    # GIVEN a robot that shows the post and never answers within the robots' timeout
    monkeypatch.setattr(robots, "TIMEOUT_S", 0.3)
    monkeypatch.setattr("groupaudit.local.chaos.ROBOT_TIMEOUT_S", 0.3)
    peer.faults.active = True
    peer.faults.choice = lambda options: "accept-hang"
    parts: list[int] = []
    # WHEN it is sent
    detail = WeComRobot(peer.wecom_url("k"), attempts=POST_ATTEMPTS).send(_notice(), on_part=parts.append)
    # THEN it went out once and counts as sent (a retry resumes after it)
    assert len(peer.delivered) == 1 and len(peer.requests(PATH)) == 1
    assert parts == [1]
    assert detail.endswith("1 without an answer (not posted again)")


def test_a_refused_post_is_tried_again_in_place_until_the_robot_takes_it(peer):
    # GIVEN a robot answering 503, then 502, then taking the post
    peer.script(PATH, json_answer({"error": "unavailable"}, 503), json_answer({"error": "bad gateway"}, 502))
    waits: list[float] = []
    # WHEN it is sent
    detail = WeComRobot(peer.wecom_url("k"), sleep=waits.append, attempts=POST_ATTEMPTS).send(_notice())
    # THEN it took three posts with a growing backoff between them, and shows once
    assert detail == "wecom: 1 message delivered"
    assert len(peer.requests(PATH)) == 3 and len(peer.delivered) == 1
    assert len(waits) == 2 and waits[0] <= robots.POST_BACKOFF_S and waits[1] <= 2 * robots.POST_BACKOFF_S


def test_a_429_blocks_the_robot_for_its_retry_after_before_the_next_try(peer):
    # GIVEN a robot answering HTTP 429 with Retry-After: 7, then taking the post
    peer.script(PATH, json_answer({"error": "rate limited"}, 429, {"Retry-After": "7"}))
    pacer = FakePacer()
    # WHEN it is sent through the pacer
    WeComRobot(peer.wecom_url("k"), pacer=pacer, attempts=POST_ATTEMPTS).send(_notice())
    # THEN the robot was blocked for the 7 s the platform asked, and the next slot waited for
    assert pacer.blocks == [7.0]
    assert pacer.slots == 2 and len(peer.delivered) == 1


def test_a_robot_refusing_every_try_gives_the_notice_back_retryable(peer):
    # GIVEN a robot answering 500 to every try
    peer.script(PATH, *[json_answer({"error": "boom"}, 500)] * POST_ATTEMPTS)
    # WHEN it is sent
    with pytest.raises(DeliveryError) as raised:
        WeComRobot(peer.wecom_url("k"), sleep=lambda _: None, attempts=POST_ATTEMPTS).send(_notice())
    # THEN after every try the notice goes back to SQS, nothing shown
    assert raised.value.retryable is True and str(raised.value) == "wecom answered HTTP 500"
    assert len(peer.requests(PATH)) == POST_ATTEMPTS and peer.delivered == []
