"""Robots kept under their platforms' rates across concurrent notifiers (the shared send log
in DynamoDB), throttled robots blocked for everyone, and split digests resumed after the
parts the platform accepted. Against the loopback robot peer, which enforces the documented
rates and answers as each platform does."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from groupaudit.adapters.storage.limits import Limits
from groupaudit.local.peers.base import json_answer
from groupaudit.local.peers.robots import RobotPeer
from groupaudit.notifiers.channels import DeliveryError
from groupaudit.notifiers.pacing import Pacer, PacingWait, with_margin
from groupaudit.notifiers.robots import DingTalkRobot, FeishuBot, WeComRobot
from groupaudit.pipeline.notify import NotifierDeps, deliver
from groupaudit.wire import NoticeChannel, NoticeMessage

SCALE = 0.5  # the peer's and the pacers' windows, half the platforms' own (a smaller scale
# would make the thread scheduling jitter between taking a slot and posting, not the pacer,
# decide the outcome)


@pytest.fixture
def robots():
    with RobotPeer(
        dingtalk={"ding-token": "SECding"}, wecom={"wecom-key"}, feishu={"fs-token": ""}, time_scale=SCALE
    ) as peer:
        yield peer


def _notice(text="## 群规检查\n- 张三 发了外链", audit_id="0" * 32, group="grp-sales") -> NoticeMessage:
    return NoticeMessage(
        tenant_id="acme",
        group_id=group,
        audit_id=audit_id,
        platform="feishu",
        channel=NoticeChannel(),
        text=text,
        mention_ids=["E001"],
        findings=[],
        created_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    )


def test_the_send_log_allows_exactly_n_in_any_window(store):
    # GIVEN a robot allowed 2 sends a second and 3 a minute (a clock we set)
    windows = ((2, 1.0), (3, 60.0))
    # WHEN notifiers ask for slots at t=0, 0.1, 0.2, 1.1 and 1.2
    waits = [store.limits.take_send_slot("feishu#r1", windows, t) for t in (100.0, 100.1, 100.2)]
    later = [store.limits.take_send_slot("feishu#r1", windows, t) for t in (101.1, 101.2)]
    # THEN two go at once, the third waits for the first to leave the 1-s window (0.8 s)...
    assert waits[:2] == [0.0, 0.0] and waits[2] == pytest.approx(0.8)
    # ... at 1.1 s it goes, and the fourth waits for the minute window (the first send + 60 s)
    assert later[0] == 0.0 and later[1] == pytest.approx(160.0 - 101.2)
    # AND another robot's log is its own
    assert store.limits.take_send_slot("feishu#r2", windows, 100.2) == 0.0


class AtomicWrites:
    """The table's client with each write atomic, as DynamoDB makes a conditional write; moto
    in-process checks the condition and writes in two steps, so two threads could both pass."""

    def __init__(self, client) -> None:
        self._client = client
        self._lock = threading.Lock()

    def put_item(self, **kwargs):
        with self._lock:
            return self._client.put_item(**kwargs)

    def update_item(self, **kwargs):
        with self._lock:
            return self._client.update_item(**kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_concurrent_notifiers_never_exceed_the_feishu_rate(store, robots):
    # GIVEN three notifiers posting 8 notices each through one Feishu bot (5/s and 100/min,
    # scaled), each with its own pacer over the shared table
    atomic = Limits(store.table, AtomicWrites(store.client))
    windows = with_margin(((5, 1.0 * SCALE), (100, 60.0 * SCALE)))
    errors: list[Exception] = []

    def notifier() -> None:
        pacer = Pacer(atomic, "feishu", robots.feishu_url("fs-token"), windows=windows)
        bot = FeishuBot(robots.feishu_url("fs-token"), pacer=pacer)
        try:
            for _ in range(8):
                bot.send(_notice())
        except Exception as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=notifier) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN every notice went through and the platform never said "too fast"
    assert errors == []
    assert robots.refused == []
    assert len(robots.delivered) == 24


def test_without_the_pacer_the_same_burst_is_refused(robots):
    # GIVEN the same burst with no pacing (the control for the test above)
    bot = FeishuBot(robots.feishu_url("fs-token"))
    outcomes = []
    for _ in range(8):
        try:
            outcomes.append(bot.send(_notice()))
        except DeliveryError as exc:
            outcomes.append(str(exc))
    # THEN the peer enforces Feishu's 5 a second: the sixth is refused with code 11232
    assert outcomes[:5] == ["feishu: 1 message delivered"] * 5
    assert outcomes[5] == "feishu code 11232: frequency limited psm"


def test_a_throttled_dingtalk_robot_is_blocked_for_every_notifier(store, robots):
    # GIVEN a DingTalk robot that answers 130101 (sent too fast: stopped for 10 minutes)
    robots.script("/robot/send", json_answer({"errcode": 130101, "errmsg": "send too fast"}))
    url = robots.dingtalk_url("ding-token")
    clock = [1_000.0]
    first = DingTalkRobot(url, "SECding", pacer=Pacer(store.limits, "dingtalk", url, clock=lambda: clock[0]))
    # WHEN one notifier is refused
    with pytest.raises(DeliveryError) as refused:
        first.send(_notice())
    assert refused.value.retryable is True
    # THEN another notifier does not post through it for those 10 minutes: it gives the notice
    # back to SQS with the time left
    clock[0] += 30
    second = DingTalkRobot(url, "SECding", pacer=Pacer(store.limits, "dingtalk", url, clock=lambda: clock[0]))
    with pytest.raises(PacingWait) as waiting:
        second.send(_notice())
    assert waiting.value.retry_after_s == pytest.approx(570.0)
    assert len(robots.requests("/robot/send")) == 1
    # AND after the penalty it posts again
    clock[0] += 571
    assert second.send(_notice()) == "dingtalk: 1 message delivered"


def test_a_split_digest_resumes_after_the_parts_the_platform_took(store, robots):
    # GIVEN a digest WeCom takes in three parts (4096 bytes each), and a WeCom robot that is
    # "system busy" for the second part
    lines = [f"{n:04d} 成员 张三 在群里发了未经允许的外部链接 https://example.com/{n}" for n in range(120)]
    notice = _notice("\n".join(lines), audit_id="1" * 32)
    url = robots.wecom_url("wecom-key")
    deps = NotifierDeps(
        notices=store.notices,
        findings=store.findings,
        channel_for=lambda _: WeComRobot(url),
        clock=lambda: datetime.now(UTC),
    )
    robots.script("/cgi-bin/webhook/send", json_answer({"errcode": 0, "errmsg": "ok"}))  # part 1 (scripted)
    robots.script("/cgi-bin/webhook/send", json_answer({"errcode": -1, "errmsg": "system busy"}))
    # WHEN the notifier delivers it, fails on part 2, and SQS delivers it again
    with pytest.raises(DeliveryError) as failed:
        deliver(notice, deps)
    assert str(failed.value) == "wecom errcode -1: system busy (part 2/3)"
    assert store.notices.notice("acme", "grp-sales", "1" * 32).parts_sent == 1
    assert deliver(notice, deps) == "sent"
    # THEN the group got parts 2 and 3 once each, after part 1: nothing repeated
    contents = [r.json()["markdown"]["content"] for r in robots.requests("/cgi-bin/webhook/send")]
    assert len(contents) == 4  # part 1, part 2 (busy), part 2, part 3
    assert contents[1] == contents[2] and len({contents[0], contents[2], contents[3]}) == 3
    assert contents[0].startswith("<@E001>") and "<@" not in contents[3]
    notice_record = store.notices.notice("acme", "grp-sales", "1" * 32)
    assert notice_record.status == "sent" and notice_record.parts_sent == 3
    assert "resumed after 1 sent before" in notice_record.detail
