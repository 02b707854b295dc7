"""The platform refusals of the ``platform_errors`` scenario, one pull at a time: the peers'
common fault hook, and each platform's pull through its refusals giving the fault-free pull."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from groupaudit.connectors.base import IdMap, PullRequest, pull_snapshot
from groupaudit.connectors.http import PlatformError
from groupaudit.local import chaos
from groupaudit.local.peers.slack import SlackPeer, rate_limited

NOW = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)


class _Records:
    """The dropped records of a group, in memory."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self._records = records

    def records(self) -> Iterator[tuple[str, Mapping[str, Any]]]:
        return iter(("drop/0000.jsonl", r) for r in self._records)


def _call(url: str, token: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    request = urllib.request.Request(url, data=b"", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, dict(answer.headers.items()), json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), json.loads(exc.read())


def test_the_fault_hook_answers_first_then_lets_requests_through_to_the_platform():
    # GIVEN a peer whose fault hook refuses the first request only, and a scripted answer queued
    seen: list[str] = []

    def refuse_first(request: Any) -> Any:
        seen.append(request.path)
        return rate_limited(7) if len(seen) == 1 else None

    scripted = (200, {"Content-Type": "application/json"}, b'{"ok": true, "scripted": true}')
    with SlackPeer(fault=refuse_first) as peer:
        peer.script("/api/auth.test", scripted)
        # WHEN three calls are made
        first = _call(f"{peer.api_url}/auth.test", peer.token)
        second = _call(f"{peer.api_url}/auth.test", peer.token)
        third = _call(f"{peer.api_url}/auth.test", peer.token)
    # THEN the hook answered the first (Slack's 429 with Retry-After), the script the second,
    # the platform the third; every request was logged and shown to the hook
    assert (first[0], first[1]["Retry-After"], first[2]) == (429, "7", {"ok": False, "error": "ratelimited"})
    assert second[2] == {"ok": True, "scripted": True}
    assert third[0] == 200 and third[2]["ok"] is True and "scripted" not in third[2]
    assert seen == ["/api/auth.test"] * 3 and len(peer.received) == 3


def test_pulled_snapshots_move_by_whole_weeks_to_the_runs_clock():
    # GIVEN the sample's rd snapshot (taken 2026-11-20 18:00 in Shanghai, a Friday)
    snapshot = chaos.pulled_snapshot("rd.json", "feishu", NOW)
    # THEN it is the group "grp-rd-pulled" on Feishu, taken one week later at the same local time
    assert (snapshot.group.id, snapshot.platform) == ("grp-rd-pulled", "feishu")
    assert snapshot.taken_at == dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
    # AND every message moved by the same week (weekdays and times of day kept)
    first = next(m for m in snapshot.messages if m.id == "grp-rd-m001")
    assert first.sent_at == dt.datetime(2026, 11, 20, 9, 50, tzinfo=dt.UTC)


def _pull(pulled: chaos.PulledGroup, tries: int) -> tuple[Any, int]:
    """The worker's pull of the group, tried again (as SQS redelivers) while it gives up
    retryable; the snapshot and how many pulls it took."""
    request = PullRequest(
        platform=pulled.platform,
        tenant_id="acme",
        group_id=pulled.snapshot.group.id,
        chat_id=pulled.chat_id,
        taken_at=NOW,
        since=NOW - dt.timedelta(days=400),
        credentials=pulled.credentials,
        base_url=pulled.base_url,
        kind=pulled.snapshot.group.kind,
        ids=IdMap(pulled.idmap),
        drops=_Records(pulled.drops),
    )
    for attempt in range(1, tries + 1):
        try:
            return pull_snapshot(request, request.http(sleep=lambda _s: None)), attempt
        except PlatformError as exc:
            if not exc.retryable or attempt == tries:
                raise
    raise AssertionError("unreachable")


def _each_refusal_once(platform: str, used: list[str], offered: set[str]) -> Any:
    """A fault hook sending each refusal the scenario has for a call's path once: a call is
    refused up to three times running (the HTTP layer tries four more), with the next refusal
    of its path not sent yet; then calls go through."""
    running = [0]

    def fault(request: Any) -> Any:
        refusals = chaos._platform_refusals(platform, request.path)
        offered.update(kind for kind, _ in refusals)
        unsent = [(kind, answer) for kind, answer in refusals if kind not in used]
        if not unsent or running[0] == 3:
            running[0] = 0
            return None
        kind, answer = unsent[0]
        running[0] = 0 if kind == "throttle" else running[0] + 1  # a throttle ends the pull
        used.append(kind)
        return answer

    return fault


@pytest.mark.parametrize(("platform", "name"), chaos.PULLED)
def test_a_pull_through_each_of_its_platforms_refusals_is_the_fault_free_pull(platform, name):
    # GIVEN the group's peer, pulled once without faults
    pulled = chaos.pulled_group(platform, name, NOW)
    used: list[str] = []
    offered: set[str] = set()
    with pulled.peer:
        clean, _ = _pull(pulled, 1)
        # WHEN its calls (token calls too) are refused each way the platform refuses
        pulled.peer.fault = _each_refusal_once(platform, used, offered)
        faulted, pulls = _pull(pulled, 10)
    # THEN every refusal was sent, and the pull (tried again as SQS would after one that ended
    # retryable) is the same snapshot
    assert sorted(used) == sorted(offered) and {"500", "502", "503"} < offered
    assert faulted == clean
    # AND only DingTalk's throttle, which asks for longer than the HTTP layer waits, ended a pull
    assert pulls == 1 + used.count("throttle")


@pytest.mark.parametrize(("platform", "name"), chaos.PULLED)
def test_the_scenarios_seeded_refusals_leave_the_pull_as_it_was(platform, name):
    # GIVEN the group's peer, pulled once without faults
    pulled = chaos.pulled_group(platform, name, NOW)
    with pulled.peer:
        clean, _ = _pull(pulled, 1)
        # WHEN the scenario refuses the first and 30 % of the other calls (seed 1, as make test)
        faults = chaos.Faults(next(s for s in chaos.SCENARIOS if s.name == "platform_errors"), 1)
        faults.active = True
        pulled.peer.fault = lambda request: faults.platform_fault(platform, request)
        faulted, _ = _pull(pulled, 5)
    # THEN refusals of this platform were injected, and the pull is the same snapshot
    assert sum(faults.injected.values()) >= 1
    assert {k.split(" ", 1)[0] for k in faults.injected} == {platform}
    assert faulted == clean
