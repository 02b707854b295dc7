"""Platform pull benchmarks (figures, not a test).

For each platform source (Slack Web API, Feishu, DingTalk, WeCom) this builds one synthetic
group, serves it from the platform's loopback peer (shared/groupaudit/local/peers/) at the page
sizes the source asks for (each the platform's documented maximum: Slack 200 a page on cursor
methods and 100 on files.list, Feishu 50 messages and 100 members, DingTalk 50 dentries and
100 members), pulls it as the audit worker does (``groupaudit.connectors.incremental.pull``
without a pull state: ``pull_snapshot``; an Http whose sleep is a no-op) in a process of its
own, ``--repeat`` times, checks that every pulled snapshot is the group, and prints for the
fastest pull:

- ``messages``, ``members``, ``files`` of the pulled snapshot;
- ``requests``: HTTP requests the peer received (token calls and file downloads included);
- ``wall_s`` and ``msgs_per_s``: the whole ``pull_snapshot`` (loopback HTTP, the dropped
  records, the final validation); ``cpu_s``: the pulling process's CPU in it; ``peer_s``: time
  spent inside the emulator answering (in another process, but the pull waits for it);
- ``rss_mb``: how much the pulling process's peak RSS grew during the pull (the largest of the
  pulls; ``peak_rss_mb`` is the process's peak, imports included);
- ``est_min_s``: the least time the same pull takes on the real platform from its rate limits
  alone: the sum over the rate-limited methods of requests / documented rate (:data:`RATES`;
  the source calls one method after the other, so their limits do not overlap). Latency, the
  first minute's burst allowance and 429 waits beyond the rate are ignored: a lower bound.
- ``fit_300s``: how many messages of this shape a group can have in its lookback window before
  ``est_min_s`` reaches the audit worker's 300-s timeout (template.yaml AuditWorkerFunction),
  scaling the calls that grow with the messages (``n/a``: none do); an upper bound.

The group: ``--messages`` N messages (default 20,000) over the worker's default 180-day lookback
window, among 200 members; 20 % thread replies (threads of 4 replies on average) where the
platform has threads; 10 % of the text messages mention one or two members, 0.1 % everyone;
1 % are file messages sharing N/200 files of 2-8 KB (each shared twice). Slack member ids go
through an id map (U... <-> directory ids), as a tenant's idmap.json does. DingTalk and WeCom
messages are not API calls: they are the robot / archive records dropped for the group (JSON
Lines, 1,000 records an object), read from a local folder (``FolderDrops``) where the worker
reads S3. WeCom is pulled as a customer group, DingTalk as a chat group, Feishu with user ids.

The stock Slack and Feishu peers go through every stored message for each request (quadratic
in the group's size: at 20,000 messages the Slack peer answers for 33 s of a 35-s pull, the
Feishu peer for 6 s of 8). This bench serves them from subclasses that index the stored
messages once (IndexedSlackPeer, IndexedFeishuPeer); each run first pulls a 600-message group
in pages of 3 from the stock and the indexed peer, and stops unless both were asked the same
requests and gave the same snapshot. ``--stock-peers`` serves from the stock peers.

A pull whose snapshot is not the group (counts of messages, members, files, file messages,
thread replies, threads, mentions, @all; message times and senders; member ids; file sizes
and hashes), beyond what the platform cannot carry (WeCom has no threads and one file per file
message), makes the run exit 1: a benchmark of a broken pull measures nothing.

The next day's pull (Slack and Feishu, the platforms with incremental pulls). The Slack and
Feishu peers also hold the day after TAKEN_AT (``next_day``: messages / LOOKBACK_DAYS new
messages of the group's shape, replies going to the day's threads and to those begun the day
before; the pull at TAKEN_AT does not see them and asks the same requests). After its full
pull, each pulling process makes the next day's pull as the worker would: ``taken_at`` and
``since`` a day later (NEXT_DAY), with the full pull's state (encoded and decoded as the worker
stores it), so it reads only from the state's end minus the platform's overlap on. It tells the
serving process when each pull is done (a JSON line on standard output, then it waits for a
line on standard input), so the peer's requests of each are counted apart. Then, not measured,
it makes a full pull at the same time and compares: messages, members and files must be the
same, every field, except what a full pull cannot see and the previous pull (checked against
the group) saw: on Feishu, replies in the window to threads begun before it (a Feishu full pull
reads a thread only from its root), and files a full pull dates by a later share inside the
window. Any other difference, a pull that did not use the state, or a full pull without the
day's messages makes the run exit 1. Printed as a line ``bench: platform=... pull=incremental``
with ``messages``, ``members``, ``files`` of its snapshot, ``new_messages`` (the day's),
``requests`` (by method below it), ``wall_s``, ``cpu_s``, ``peer_s`` (of the pull only),
``state_mb`` (the stored state), ``state_s`` (decoding the state and encoding the new one),
``est_min_s`` and ``fit_300s_day``: how many messages a day of this shape the group can have
before the next day's ``est_min_s`` reaches the worker's timeout (all its message calls grow
with the messages a day); an upper bound.

Usage: python bench/sources.py [--messages 20000] [--platforms slack,feishu,dingtalk,wecom]
       [--reply-share 0.2] [--thread-replies 4] [--repeat 3] [--seed 7] [--stock-peers]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform as host
import resource
import subprocess
import sys
import tempfile
import threading
import time
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import msgspec

from groupaudit.local.peers import feishu as feishu_peer
from groupaudit.local.peers import slack as slack_peer

PLATFORMS = ("slack", "feishu", "dingtalk", "wecom")
WORKER_TIMEOUT_S = 300  # template.yaml AuditWorkerFunction Timeout
TAKEN_AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
NEXT_DAY = timedelta(days=1)  # the incremental pull's taken_at: TAKEN_AT + NEXT_DAY
INCREMENTAL = ("slack", "feishu")  # connectors.incremental.INCREMENTAL_PLATFORMS
LOOKBACK_DAYS = 180  # the worker's default: twice the default stale_file_days
MEMBERS = 200
MENTION_SHARE = 0.10  # of text messages
MENTION_ALL_SHARE = 0.001
FILE_MESSAGE_SHARE = 0.01  # of all messages; each file is shared by two of them
FILE_BYTES = (2048, 8192)
DROP_RECORDS_PER_OBJECT = 1000
CHECK_MESSAGES = 600  # the stock-vs-indexed peer check
GROUP_ID = "grp-bench"
CHAT_IDS = {
    "slack": "C0BENCH0001",
    "feishu": "oc_bench0000000000000000000001",
    "dingtalk": "chatbench0001",
    "wecom": "wrbench0000000000000000001",
}
MESSAGE_PREFIX = {"slack": "m", "feishu": "om_", "dingtalk": "msg", "wecom": "wecom-msg-"}

# Documented rate limits in requests per second, by platform and method (as _method() names
# them). Calls of methods missing here (token calls, Slack's auth.test and
# conversations.info, Feishu's chat, member and resource calls, downloads from Slack's file
# host) are reported as "unrated" and left out of est_min_s: a few per group.
RATES: dict[str, dict[str, float]] = {
    "slack": {
        # docs.slack.dev/reference/methods/conversations.history and .replies: "For Marketplace
        # and internal customer-built applications, this method has Tier 3 rate limits"; Tier 3
        # is "50+ per minute" (docs.slack.dev/apis/web-api/rate-limits). Not used here: since
        # 2025-05-29 (existing installations from 2026-03-03) apps commercially distributed
        # outside the Marketplace get 1 request per minute and 15 messages a page on both.
        "conversations.history": 50 / 60,
        "conversations.replies": 50 / 60,
        # The methods' reference pages: conversations.members Tier 4 ("100+ per minute"),
        # users.list Tier 2 ("20+ per minute"), files.list Tier 3; users.info Tier 4 as the
        # slack_api module documents it.
        "conversations.members": 100 / 60,
        "users.list": 20 / 60,
        "files.list": 50 / 60,
        "users.info": 100 / 60,
    },
    "feishu": {
        # GET /open-apis/im/v1/messages (获取会话历史消息), chat and thread containers alike:
        # "1000 次/分钟、50 次/秒" per app and tenant, either limit triggering it
        # (open.feishu.cn/document/server-docs/api-call-guide/frequency-control; the method's
        # figure as docs/platforms/feishu.md gives it). The per-minute one binds.
        "messages.list": 1000 / 60,
    },
    "dingtalk": {
        # Every server API of an internal app: 20 QPS per app and API on the standard edition
        # (errcode 90018 beyond; open.dingtalk.com, 如何处理钉钉服务端API限流).
        method: 20.0
        for method in (
            "gettoken",
            "oauth2.accessToken",
            "chat.get",
            "convertToOpenConversationId",
            "scenegroup.get",
            "scenegroup.member.get",
            "user.get",
            "spaces.query",
            "storage.dentries",
        )
    },
    "wecom": {
        # "每企业调用单个cgi/api不可超过1万次/分" (developer.work.weixin.qq.com/document/path/90454).
        method: 10_000 / 60
        for method in ("gettoken", "externalcontact.groupchat.get", "msgaudit.groupchat.get", "user.get")
    },
}
# The methods whose calls grow with the window's messages (the others are per group).
MESSAGE_METHODS = {
    "slack": ("conversations.history", "conversations.replies"),
    "feishu": ("messages.list",),
    "dingtalk": (),
    "wecom": (),
}


# --- the synthetic group ----------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    messages: int
    seed: int = 7
    reply_share: float = 0.20  # of all messages: replies inside threads
    thread_replies: float = 4.0  # replies per thread, on average


@dataclass
class Workload:
    platform: str
    snapshot: Any  # groupaudit.contracts.Snapshot
    contents: dict[str, bytes]  # file id -> bytes
    expected: dict[str, int]


def member_id(k: int) -> str:
    return f"u-{k:04d}"


def member_name(k: int) -> str:
    return f"Member {k:04d}"


def slack_ids() -> dict[str, str]:
    """The tenant's id map for Slack: Slack user id -> directory id."""
    return {f"U{k:07d}": member_id(k) for k in range(1, MEMBERS + 1)}


def synthetic(platform: str, shape: Shape) -> Workload:
    """The group as a contract snapshot of ``platform``; the same arguments give the same group."""
    from groupaudit.contracts import File, Group, Member, Message, Snapshot

    rng = Random(f"{shape.seed}:{shape.messages}")
    since = TAKEN_AT - timedelta(days=LOOKBACK_DAYS)
    window_ms = LOOKBACK_DAYS * 86_400_000
    used: set[int] = set()

    def free(ms: int, after: int = 0) -> int:
        """An unused millisecond of the window at ``ms`` or just after (and after ``after``)."""
        ms = max(60_000, after + 1, min(ms, window_ms - 60_000))
        while ms in used:
            ms += 1
        used.add(ms)
        return ms

    threaded = platform != "wecom"  # WeCom's archive has no quotes or threads
    replies = round(shape.messages * shape.reply_share) if threaded else 0
    threads = max(1, round(replies / shape.thread_replies)) if replies else 0
    top = shape.messages - replies
    top_ms = sorted(free(rng.randrange(window_ms)) for _ in range(top))
    roots = sorted(rng.sample(range(top), threads))
    # each thread gets one reply, the others go to threads at random, within two days of the root
    reply_thread = list(range(threads)) + [rng.randrange(threads) for _ in range(replies - threads)]
    events = [(ms, -1, i) for i, ms in enumerate(top_ms)]  # (ms, thread of a reply, top-level index)
    for thread in reply_thread:
        root_ms = top_ms[roots[thread]]
        events.append((free(root_ms + rng.randrange(60_000, 2 * 86_400_000), after=root_ms), thread, -1))
    events.sort()

    thread_of_root = {top_index: thread for thread, top_index in enumerate(roots)}
    plain = [i for i in range(top) if i not in thread_of_root]
    file_tops = set(rng.sample(plain, min(max(2, round(shape.messages * FILE_MESSAGE_SHARE)), len(plain))))
    people = list(range(1, MEMBERS + 1))
    weights = [1 / k**0.7 for k in people]  # a few members talk a lot

    root_ids: dict[int, str] = {}
    messages: list[Message] = []
    files: list[File] = []
    contents: dict[str, bytes] = {}
    shares: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for n, (ms, thread, top_index) in enumerate(events, start=1):
        message_id = f"{MESSAGE_PREFIX[platform]}{n:07d}"
        sent_at = since + timedelta(milliseconds=ms)
        sender = rng.choices(people, weights)[0]
        fields: dict[str, Any] = {}
        if thread >= 0:
            fields["reply_to_id"] = fields["thread_id"] = root_ids[thread]
            counts["replies"] += 1
        elif top_index in thread_of_root:
            root_ids[thread_of_root[top_index]] = message_id
        if top_index in file_tops:
            if not files or shares[files[-1].id] == 2:
                file_id = f"F{len(files) + 1:05d}"
                size = rng.randint(*FILE_BYTES)
                contents[file_id] = _content(shape.seed, file_id, size)
                files.append(
                    File(
                        id=file_id,
                        name=f"report-{len(files) + 1:04d}.pdf",
                        uploaded_at=sent_at,
                        uploader_id=member_id(sender),
                        size_bytes=size,
                        sha256=hashlib.sha256(contents[file_id]).hexdigest(),
                    )
                )
            shares[files[-1].id] += 1
            counts["file_messages"] += 1
            fields |= {"type": "file", "file_id": files[-1].id}
        else:
            fields |= _text_fields(rng, n, sender, people, counts)
        messages.append(Message(id=message_id, sender_id=member_id(sender), sent_at=sent_at, **fields))

    members = [
        Member(id=member_id(k), display_name=member_name(k), role="owner" if k == 1 else "member")
        for k in people
    ]
    snapshot = Snapshot(
        schema_version=1,
        platform=platform,  # type: ignore[arg-type]
        tenant_id="bench",
        taken_at=TAKEN_AT,
        group=Group(
            id=CHAT_IDS[platform],
            name="bench group",
            kind="project",
            owner_id=member_id(1),
            created_at=since - timedelta(days=30),
        ),
        members=members,
        messages=messages,
        files=files,
    )
    expected = {
        "messages": shape.messages,
        "members": MEMBERS,
        # WeCom: a file exists only as a message: one file per file message
        "files": counts["file_messages"] if platform == "wecom" else len(files),
        "file_messages": counts["file_messages"],
        "replies": counts["replies"],
        "threads": threads,
        "mentions": counts["mentions"],
        "mention_all": counts["mention_all"],
    }
    return Workload(platform, snapshot, contents, expected)


def _text_fields(rng: Random, n: int, sender: int, people: list[int], counts: Counter[str]) -> dict[str, Any]:
    """A text message's fields: mentions of one or two members (MENTION_SHARE), of everyone
    (MENTION_ALL_SHARE), written into the text too: WeCom's archive carries only "@name"."""
    fields: dict[str, Any] = {}
    words = []
    if rng.random() < MENTION_ALL_SHARE:
        fields["mention_all"] = True
        words.append("@所有人")
        counts["mention_all"] += 1
    if rng.random() < MENTION_SHARE:
        others = [k for k in rng.sample(people, 3) if k != sender][: 1 if rng.random() < 0.75 else 2]
        fields["mentions"] = tuple(member_id(k) for k in others)
        words += [f"@{member_name(k)}" for k in others]
        counts["mentions"] += len(others)
    words.append(f"update {n} on the rollout plan")
    return fields | {"type": "text", "text": " ".join(words)}


def next_day(work: Workload, shape: Shape) -> Workload:
    """The group a day later: ``work``'s messages and files and one day's worth of new ones
    after TAKEN_AT, shaped as the group's (messages / LOOKBACK_DAYS of them, the same shares of
    replies, mentions and file messages, new files shared twice). The day's replies go to threads
    begun that day and to those whose root is in the day before TAKEN_AT: roots with replies
    already, so that a pull at TAKEN_AT asks the same requests as without the day.
    ``expected``: the new messages and files."""
    from groupaudit.contracts import File, Message

    rng = Random(f"{shape.seed}:{shape.messages}:next-day")
    old, old_files = list(work.snapshot.messages or ()), list(work.snapshot.files or ())
    day_ms = 86_400_000
    used: set[int] = set()

    def free(low: int, high: int) -> int:
        ms = rng.randrange(low, high)
        while ms in used:
            ms += 1
        used.add(ms)
        return ms

    count = max(1, round(shape.messages / LOOKBACK_DAYS))
    replies = round(count * shape.reply_share) if work.platform != "wecom" else 0
    top_ms = sorted(free(60_000, day_ms - 120_000) for _ in range(count - replies))
    starts = max(1, round(replies / shape.thread_replies)) if replies else 0
    recent = TAKEN_AT - timedelta(days=1)
    roots_sent = {m.id: m.sent_at for m in old if m.sent_at >= recent}
    # (offset from TAKEN_AT in ms of the root, the root's id or its index among the day's top)
    threads: list[tuple[int, str | int]] = [
        (round((roots_sent[r] - TAKEN_AT).total_seconds() * 1000), r)
        for r in sorted({m.thread_id for m in old if m.thread_id} & set(roots_sent))
    ]
    threads += [(top_ms[i], i) for i in sorted(rng.sample(range(len(top_ms)), min(starts, len(top_ms))))]
    chosen = list(range(len(threads) - starts, len(threads)))  # each new thread gets a reply
    chosen += [rng.randrange(len(threads)) for _ in range(replies - len(chosen))] if threads else []
    # (ms, thread index or -1, index among the day's top-level messages or -1)
    events = [(ms, -1, i) for i, ms in enumerate(top_ms)]
    events += [(free(max(threads[t][0], 0) + 1000, day_ms - 60_000), t, -1) for t in chosen]
    events.sort()
    new_root_of = {ref: t for t, (_, ref) in enumerate(threads) if isinstance(ref, int)}
    plain = [i for i in range(len(top_ms)) if i not in new_root_of]
    file_tops = set(rng.sample(plain, min(round(count * FILE_MESSAGE_SHARE), len(plain))))
    people = list(range(1, MEMBERS + 1))
    weights = [1 / k**0.7 for k in people]

    root_ids = {t: ref for t, (_, ref) in enumerate(threads) if isinstance(ref, str)}
    messages: list[Message] = []
    files: list[File] = []
    contents = dict(work.contents)
    shares: Counter[str] = Counter()
    for n, (ms, thread, top_index) in enumerate(events, start=len(old) + 1):
        message_id = f"{MESSAGE_PREFIX[work.platform]}{n:07d}"
        sent_at = TAKEN_AT + timedelta(milliseconds=ms)
        sender = rng.choices(people, weights)[0]
        fields: dict[str, Any] = {}
        if thread >= 0:
            fields["reply_to_id"] = fields["thread_id"] = root_ids[thread]
        elif top_index in new_root_of:
            root_ids[new_root_of[top_index]] = message_id
        if top_index in file_tops:
            if not files or shares[files[-1].id] == 2:
                file_id = f"F{len(old_files) + len(files) + 1:05d}"
                size = rng.randint(*FILE_BYTES)
                contents[file_id] = _content(shape.seed, file_id, size)
                files.append(
                    File(
                        id=file_id,
                        name=f"report-{len(old_files) + len(files) + 1:04d}.pdf",
                        uploaded_at=sent_at,
                        uploader_id=member_id(sender),
                        size_bytes=size,
                        sha256=hashlib.sha256(contents[file_id]).hexdigest(),
                    )
                )
            shares[files[-1].id] += 1
            fields |= {"type": "file", "file_id": files[-1].id}
        else:
            fields |= _text_fields(rng, n, sender, people, Counter())
        messages.append(Message(id=message_id, sender_id=member_id(sender), sent_at=sent_at, **fields))
    snapshot = msgspec.structs.replace(
        work.snapshot, taken_at=TAKEN_AT + NEXT_DAY, messages=[*old, *messages], files=[*old_files, *files]
    )
    return Workload(work.platform, snapshot, contents, {"messages": len(messages), "files": len(files)})


def _content(seed: int, file_id: str, size: int) -> bytes:
    block = hashlib.sha256(f"{seed}:{file_id}".encode()).digest()
    return (block * (size // len(block) + 1))[:size]


# --- indexed peers ----------------------------------------------------------------------------


class IndexedSlackPeer(slack_peer.SlackPeer):
    """The Slack peer, answering history, replies and a message's thread fields from an index
    of the stored messages built on first use (the stock peer scans every stored message for
    each message it returns). Nothing may be posted once it has answered."""

    def _index(self, channel_id: str) -> tuple[dict, dict, list, list, dict]:
        cache = self.__dict__.setdefault("_bench_index", {})
        if channel_id not in cache:
            stored = self.messages[channel_id]
            by_ts: dict[str, dict] = {}
            replies: defaultdict[str, list] = defaultdict(list)
            for m in stored:
                by_ts.setdefault(m["ts"], m)
                if m.get("thread_ts") is not None and m["ts"] != m["thread_ts"]:
                    replies[m["thread_ts"]].append(m)
            top = [
                m
                for m in stored
                if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
            ]
            top.sort(key=lambda m: slack_peer._ts(m["ts"]), reverse=True)  # newest first, as Slack
            negated = [-slack_peer._ts(m["ts"]) for m in top]  # ascending
            cache[channel_id] = (by_ts, replies, top, negated, {})
        return cache[channel_id]

    def _message(self, raw: Any, channel_id: str) -> dict[str, Any]:
        out = dict(raw)
        if raw.get("files"):
            out["files"] = [
                self._file_object(self.files[f]) if isinstance(f, str) else f for f in raw["files"]
            ]
        ts = raw["ts"]
        by_ts, replies_of, *_ = self._index(channel_id)
        replies = replies_of.get(ts, [])
        if replies:
            out["thread_ts"] = ts
            out["reply_count"] = len(replies)
            out["reply_users"] = list(dict.fromkeys(m.get("user") for m in replies if m.get("user")))
            out["reply_users_count"] = len(out["reply_users"])
            out["latest_reply"] = max((m["ts"] for m in replies), key=slack_peer._ts)
        elif raw.get("thread_ts") and raw["thread_ts"] != ts:
            root = by_ts.get(raw["thread_ts"])
            if root is not None and root.get("user"):
                out["parent_user_id"] = root["user"]
        return out

    def _conversations_history(self, params: Any) -> dict[str, Any]:
        channel = self._channel(params, "conversations.history", member=True)
        inclusive = params.get("inclusive") in ("true", "1")
        oldest = slack_peer._ts(params.get("oldest") or "0")
        latest = slack_peer._ts(params["latest"], "invalid_ts_latest") if params.get("latest") else None
        _, _, top, negated, _ = self._index(channel["id"])
        first = 0 if latest is None else (bisect_left if inclusive else bisect_right)(negated, -latest)
        end = (bisect_right if inclusive else bisect_left)(negated, -oldest)
        page, cursor = self._page(top[first:end], params)
        return {
            "messages": [self._message(m, channel["id"]) for m in page],
            "has_more": bool(cursor),
            "pin_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_replies(self, params: Any) -> dict[str, Any]:
        channel = self._channel(params, "conversations.replies", member=True)
        by_ts, replies_of, _, _, ordered = self._index(channel["id"])
        root = by_ts.get(params.get("ts"))
        if root is None:
            raise slack_peer.SlackError("thread_not_found")
        if root["ts"] not in ordered:
            ordered[root["ts"]] = sorted(
                replies_of.get(root["ts"], []), key=lambda m: slack_peer._ts(m["ts"])
            )
        page, cursor = self._page([root, *ordered[root["ts"]]], params)
        return {
            "messages": [self._message(m, channel["id"]) for m in page],
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }


class IndexedFeishuPeer(feishu_peer.FeishuPeer):
    """The Feishu peer, listing messages (ascending) from an index of the stored messages built
    on first use (the stock peer filters and sorts all of them for each page)."""

    def _bench_index(self) -> tuple[list, list, dict]:
        index = self.__dict__.get("_bench_listing")
        if index is None:
            top = [m for m in self.messages if not (m.get("thread_id") and m["root_id"])]
            top.sort(key=lambda m: int(m["create_time"]))
            threads: defaultdict[str, list] = defaultdict(list)
            for m in self.messages:
                if m.get("thread_id"):
                    threads[m["thread_id"]].append(m)
            for listed in threads.values():
                listed.sort(key=lambda m: int(m["create_time"]))
            index = (top, [int(m["create_time"]) // 1000 for m in top], threads)
            self.__dict__["_bench_listing"] = index
        return index

    def _messages(self, request: Any) -> Any:
        if request.arg("sort_type") == "ByCreateTimeDesc":
            return super()._messages(request)
        if refused := self._missing(feishu_peer.MESSAGE_SCOPES):
            return refused
        if feishu_peer.GROUP_MESSAGES_SCOPE not in self.scopes:
            return feishu_peer.feishu_error(230027, "Lack of necessary permissions.")
        kind, container = request.arg("container_id_type"), request.arg("container_id") or ""
        size = int(request.arg("page_size", "20") or 20)
        start, end = request.arg("start_time"), request.arg("end_time")
        invalid = feishu_peer.feishu_error(230001, "Your request contains an invalid request parameter.")
        if kind not in ("chat", "thread") or not 1 <= size <= 50:
            return invalid
        if kind == "chat" and container != self.chat_id:
            return invalid
        if not self.bot_in_chat:
            return feishu_peer.feishu_error(230002, "The bot can not be outside the group.")
        top, seconds, threads = self._bench_index()
        if kind == "thread":
            if start or end:
                return invalid
            listed = threads.get(container, [])
        else:
            first, last = int(start or 0), int(end or 2**40)
            listed = top[bisect_left(seconds, first) : bisect_right(seconds, last)]
        page, refused = self._page(request, listed, min(size, self.message_page_size), 230001)
        return feishu_peer.ok(page) if page is not None else refused or invalid


# --- serving ----------------------------------------------------------------------------------


def _write_drops(folder: Path, records: list[dict[str, Any]], name: str) -> None:
    """Records as JSON Lines objects of DROP_RECORDS_PER_OBJECT records each."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, start in enumerate(range(0, len(records), DROP_RECORDS_PER_OBJECT), start=1):
        chunk = records[start : start + DROP_RECORDS_PER_OBJECT]
        lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in chunk)
        (folder / f"{name}-{number:04d}.jsonl").write_text(lines + "\n", encoding="utf-8")


def serve(
    work: Workload, folder: Path, *, indexed: bool, page: int | None = None
) -> tuple[Any, dict[str, Any]]:
    """Seeds and starts the platform's peer (drops written to ``folder``); the peer and what
    the pulling process needs to reach it. ``page``: Slack's and Feishu's page size instead of
    the one the source asks for."""
    platform, snapshot = work.platform, work.snapshot
    if platform == "slack":
        from groupaudit.connectors import slack_api
        from groupaudit.connectors.base import IdMap

        cls = IndexedSlackPeer if indexed else slack_peer.SlackPeer
        peer = cls.from_snapshot(
            snapshot, ids=IdMap(slack_ids()), contents=work.contents, page_size=page or slack_api.PAGE_LIMIT
        ).start()
        spec = {"base_url": peer.api_url, "credentials": {"token": peer.token}}
    elif platform == "feishu":
        from groupaudit.connectors import feishu

        cls = IndexedFeishuPeer if indexed else feishu_peer.FeishuPeer
        peer = cls.from_snapshot(
            snapshot,
            contents=work.contents,
            member_page_size=page or feishu.MEMBER_PAGE_SIZE,
            message_page_size=page or feishu.MESSAGE_PAGE_SIZE,
        ).start()
        spec = {"base_url": peer.url, "credentials": {"app_id": peer.app_id, "app_secret": peer.app_secret}}
    elif platform == "dingtalk":
        from groupaudit.connectors import dingtalk
        from groupaudit.local.peers.dingtalk import DingTalkPeer, drop_records

        peer = DingTalkPeer.from_snapshot(
            snapshot, member_page_size=dingtalk.MEMBER_PAGE_SIZE, dentry_page_size=dingtalk.DENTRY_PAGE_SIZE
        )
        _write_drops(folder, drop_records(snapshot), "robot")
        peer.start()
        spec = {"base_url": peer.url, "credentials": {"app_key": peer.app_key, "app_secret": peer.app_secret}}
    else:
        from groupaudit.local.peers.wecom import WeComPeer, archive_records

        peer = WeComPeer.from_snapshot(snapshot, chat_id=CHAT_IDS["wecom"])  # a customer group
        _write_drops(folder, archive_records(snapshot, chat_id=CHAT_IDS["wecom"]), "chatdata")
        peer.start()
        spec = {"base_url": peer.url, "credentials": peer.credentials("customer")}
    spec["drops"] = str(folder) if platform in ("dingtalk", "wecom") else None
    return peer, spec


def pull(platform: str, spec: dict[str, Any], *, later: timedelta = timedelta(0), state: Any = None) -> Any:
    """The pull the worker makes (``connectors.incremental.pull``: a full pull without a pull
    state, else only what is new since it), taken ``later`` than TAKEN_AT, with an Http that
    does not sleep: (snapshot, the new pull state, whether it was incremental, the Http)."""
    from groupaudit.connectors import incremental
    from groupaudit.connectors.base import FolderDrops, IdMap, NoDrops, PullRequest
    from groupaudit.connectors.http import Http

    request = PullRequest(
        platform=platform,
        tenant_id="bench",
        group_id=GROUP_ID,
        chat_id=CHAT_IDS[platform],
        taken_at=TAKEN_AT + later,
        since=TAKEN_AT + later - timedelta(days=LOOKBACK_DAYS),
        credentials=spec["credentials"],
        base_url=spec["base_url"],
        kind="project",
        ids=IdMap(slack_ids() if platform == "slack" else {}),
        drops=FolderDrops(Path(spec["drops"])) if spec["drops"] else NoDrops(),
    )
    http = Http(platform, request.api_base, secrets=spec["credentials"].values(), sleep=lambda _s: None)
    return (*incremental.pull(request, http, state), http)


def _method(platform: str, path: str) -> str:
    """A request's platform method, as :data:`RATES` names it."""
    if platform == "slack":
        return path.removeprefix("/api/") if path.startswith("/api/") else "file download"
    if platform == "feishu":
        if path.endswith("/tenant_access_token/internal"):
            return "tenant_access_token"
        if path == "/open-apis/im/v1/messages":
            return "messages.list"
        if "/resources/" in path:
            return "messages.resources"
        return "chats.members" if path.endswith("/members") else "chats.get"
    if platform == "dingtalk":
        if path.endswith("/convertToOpenConversationId"):
            return "convertToOpenConversationId"
        if path.endswith("/dentries"):
            return "storage.dentries"
        return {
            "/gettoken": "gettoken",
            "/v1.0/oauth2/accessToken": "oauth2.accessToken",
            "/chat/get": "chat.get",
            "/topapi/im/chat/scenegroup/get": "scenegroup.get",
            "/topapi/im/chat/scenegroup/member/get": "scenegroup.member.get",
            "/topapi/v2/user/get": "user.get",
            "/v1.0/convFile/conversations/spaces/query": "spaces.query",
        }.get(path, path)
    return path.removeprefix("/cgi-bin/").replace("/", ".")


class _Timed:
    """A peer's ``route``, adding up the time spent in it."""

    def __init__(self, route: Callable[[Any], Any]) -> None:
        self.route = route
        self.seconds = 0.0
        self.lock = threading.Lock()

    def __call__(self, request: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.route(request)
        finally:
            with self.lock:
                self.seconds += time.perf_counter() - started


def same_as_stock(platform: str, seed: int) -> str | None:
    """None when the indexed peer answers a small group's pull as the stock peer does (pages of
    3, so that threads and every listing take several)."""
    work = synthetic(platform, Shape(CHECK_MESSAGES, seed))
    seen = []
    for indexed in (False, True):
        with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
            peer, spec = serve(work, Path(tmp), indexed=indexed, page=3)
            url = peer.url  # in Slack's file URLs
            try:
                snapshot, *_ = pull(platform, spec)
            finally:
                peer.stop()
        encoded = msgspec.json.encode(snapshot).replace(url.encode(), b"PEER")
        asked = [(r.method, r.path, sorted(r.query.items())) for r in peer.received]
        seen.append((encoded, asked))
    if seen[0][1] != seen[1][1]:
        return "the indexed peer was asked other requests than the stock peer"
    if seen[0][0] != seen[1][0]:
        return "the indexed peer's pull differs from the stock peer's"
    return None


# --- is the pulled snapshot the group? ---------------------------------------------------------


def check(work: Workload, pulled: Any) -> list[str]:
    """How the pulled snapshot differs from the group, beyond what the platform cannot carry."""
    from groupaudit.loading import decode_snapshot

    problems: list[str] = []
    # pull_snapshot validated it already; once more from its bytes, as the audit reads it
    decode_snapshot(msgspec.json.encode(pulled), f"{work.platform} bench pull")
    group = work.snapshot
    messages, files = pulled.messages or [], pulled.files or []
    got = {
        "messages": len(messages),
        "members": len(pulled.members or ()),
        "files": len(files),
        "file_messages": sum(1 for m in messages if m.type == "file" and m.file_id),
        "replies": sum(1 for m in messages if m.thread_id and m.reply_to_id),
        "threads": len({m.thread_id for m in messages if m.thread_id}),
        "mentions": sum(len(m.mentions or ()) for m in messages),
        "mention_all": sum(1 for m in messages if m.mention_all),
    }
    problems += [
        f"{k}: expected {work.expected[k]}, pulled {v}" for k, v in got.items() if v != work.expected[k]
    ]
    if pulled.platform != work.platform or pulled.group.id != GROUP_ID:
        problems.append(f"group: pulled {pulled.platform}/{pulled.group.id}")
    if sorted(m.sent_at for m in messages) != [m.sent_at for m in group.messages or ()]:
        problems.append("message times differ from the group's")
    if Counter(m.sender_id for m in messages) != Counter(m.sender_id for m in group.messages or ()):
        problems.append("message senders differ from the group's")
    if {m.id for m in pulled.members or ()} != {m.id for m in group.members or ()}:
        problems.append("member ids differ from the group's (id mapping)")
    shared = {m.id: m.file_id for m in group.messages or () if m.file_id}
    hashes = {f.id: f.sha256 for f in group.files or ()}
    wrong = sum(
        1
        for f in files
        # WeCom's file id is its message's
        if f.sha256 != hashes.get(shared.get(f.id, f.id))
        or f.size_bytes != len(work.contents.get(shared.get(f.id, f.id), b""))
    )
    if wrong:
        problems.append(f"{wrong} file(s) without the right size and sha256")
    return problems


# --- the processes ----------------------------------------------------------------------------


def puller(platform: str, shape: Shape) -> None:
    """``--pull``: pulls once (the spec from standard input's first line) and checks the
    snapshot; for Slack and Feishu then the next day's pull with that pull's state, and a full
    pull at the same time to compare it with (not measured). Each phase is reported as a JSON
    line on standard output (``full``, ``next``, ``checked``); after ``full`` and ``next`` it
    waits for a line on standard input, so that the serving process can tell the requests of
    each phase apart."""
    from groupaudit.connectors import incremental

    spec = json.loads(sys.stdin.readline())
    rss_before = _memory_kib("VmRSS")
    cpu, started = time.process_time(), time.perf_counter()
    snapshot, state, _, http = pull(platform, spec)
    wall_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu
    rss_after = _memory_kib("VmHWM")
    work = synthetic(platform, shape)
    problems = check(work, snapshot)  # after the measurement
    go_on = platform in INCREMENTAL and not problems
    _report(
        "full",
        {
            "messages": len(snapshot.messages or ()),
            "members": len(snapshot.members or ()),
            "files": len(snapshot.files or ()),
            "wall_s": wall_s,
            "cpu_s": cpu_s,
            "rss_mb": (rss_after - rss_before) / 1024,
            "peak_rss_mb": rss_after / 1024,
            "retry_waits_s": http.waited_s,
            "problems": problems,
        },
        wait=go_on,
    )
    if not go_on:
        return

    # the next day, as the worker does it: the state read, the pull, the new state written
    stored = incremental.encode_state(state)
    coding = time.perf_counter()
    read = incremental.decode_state(stored)
    coding_s = time.perf_counter() - coding
    cpu, started = time.process_time(), time.perf_counter()
    got, new_state, was_incremental, http = pull(platform, spec, later=NEXT_DAY, state=read)
    wall_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu
    coding = time.perf_counter()
    incremental.encode_state(new_state)
    coding_s += time.perf_counter() - coding
    _report(
        "next",
        {
            "messages": len(got.messages or ()),
            "members": len(got.members or ()),
            "files": len(got.files or ()),
            "wall_s": wall_s,
            "cpu_s": cpu_s,
            "state_mb": len(stored) / 2**20,
            "state_s": coding_s,
            "retry_waits_s": http.waited_s,
        },
        wait=True,
    )

    full, *_ = pull(platform, spec, later=NEXT_DAY)
    day = next_day(work, shape).expected
    problems = [] if was_incremental else ["the pull state was not used (a full pull was made)"]
    differs, beyond = same_as_full(platform, got, full, snapshot)
    problems += differs
    new = sum(1 for m in full.messages or () if m.sent_at > TAKEN_AT)
    if new != day["messages"]:
        problems.append(f"the full pull a day later has {new} of the day's {day['messages']} new messages")
    _report("checked", {"problems": problems, "beyond_full": beyond, "day": day}, wait=False)


def _report(phase: str, figures: dict[str, Any], *, wait: bool) -> None:
    print(json.dumps({"phase": phase, "wait": wait, **figures}), flush=True)
    if wait:
        sys.stdin.readline()


def same_as_full(platform: str, got: Any, full: Any, before: Any) -> tuple[list[str], dict[str, int]]:
    """How the incremental pull's snapshot ``got`` differs from the ``full`` pull's at the same
    time (messages, members, files: every field), and what it holds beyond what a full pull can
    see, from the previous pull (``before``, checked against the group) unchanged, by kind:

    - ``replies``: on Feishu, replies in the window to a thread whose root is before it (a
      Feishu full pull reads a thread only from a root it lists);
    - ``dated``: files whose upload a full pull dates by their first share inside the window,
      and the previous pull by an earlier share."""
    problems: list[str] = []
    beyond = {"replies": 0, "dated": 0}
    previous = {part: {x.id: x for x in getattr(before, part) or ()} for part in ("messages", "files")}
    known = previous["messages"] | {m.id: m for m in full.messages or ()}
    since = full.taken_at - timedelta(days=LOOKBACK_DAYS)

    def example(i: str) -> str:
        m = known[i]
        root = known.get(m.thread_id or "")
        return f"{i} of {m.sent_at:%Y-%m-%dT%H:%MZ}" + (
            f", reply to {root.sent_at:%Y-%m-%dT%H:%MZ}" if root else ""
        )

    for part in ("messages", "members", "files"):
        mine = {x.id: x for x in getattr(got, part) or ()}
        theirs = {x.id: x for x in getattr(full, part) or ()}
        if len(mine) != len(getattr(got, part) or ()):
            problems.append(f"{part}: the incremental pull has repeated ids")
        extra = set(mine) - set(theirs)
        changed = {i for i in set(mine) & set(theirs) if mine[i] != theirs[i]}
        if part == "messages" and platform == "feishu":
            replies = {
                i
                for i in extra
                if (root := known.get(mine[i].thread_id or "")) is not None
                and root.sent_at < since
                and previous["messages"].get(i) == mine[i]
            }
            beyond["replies"], extra = len(replies), extra - replies
        if part == "files":
            dated = {
                i
                for i in changed
                if previous["files"].get(i) == mine[i]
                and mine[i].uploaded_at < theirs[i].uploaded_at
                and msgspec.structs.replace(
                    theirs[i], uploaded_at=mine[i].uploaded_at, uploader_id=mine[i].uploader_id
                )
                == mine[i]
            }
            beyond["dated"], changed = len(dated), changed - dated
        missing = set(theirs) - set(mine)
        if extra or missing or changed:
            some = "; ".join(map(example, sorted(missing)[:2])) if part == "messages" else ""
            problems.append(
                f"{part}: {len(extra)} only in the incremental pull, {len(missing)} only in the full "
                f"pull{f' ({some}, ...)' if some else ''}, {len(changed)} different"
            )
    return problems, beyond


def _memory_kib(field: str) -> int:
    """This process's current (VmRSS) or peak (VmHWM) resident memory. Not getrusage's
    ru_maxrss: Linux carries it over from the forking process across exec, so a process started
    by the peer's would report the peer's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # elsewhere: the best there is


def _shape_args(shape: Shape) -> list[str]:
    return [
        "--messages",
        str(shape.messages),
        "--seed",
        str(shape.seed),
        "--reply-share",
        str(shape.reply_share),
        "--thread-replies",
        str(shape.thread_replies),
    ]


def _estimate(platform: str, received: list[Any]) -> dict[str, Any]:
    """Requests by method and the least time they take at the documented rates."""
    calls = Counter(_method(platform, r.path) for r in received)
    rates = RATES[platform]
    seconds = {m: n / rates[m] for m, n in calls.items() if m in rates}
    return {
        "requests": sum(calls.values()),
        "calls": dict(calls.most_common()),
        "unrated": sum(n for m, n in calls.items() if m not in rates),
        "est_min_s": sum(seconds.values()),
        "message_s": sum(seconds.get(m, 0.0) for m in MESSAGE_METHODS[platform]),
        "est_by_method_s": {m: round(s, 1) for m, s in sorted(seconds.items(), key=lambda i: -i[1])},
    }


def pulling_process(platform: str, shape: Shape, spec: dict[str, Any], peer: Any, timed: _Timed) -> dict:
    """Runs one ``--pull`` process against ``peer``: its phases' reports (:func:`puller`), each
    with the requests the peer received for it (``received``) and the time spent answering
    them (``peer_s``)."""
    with tempfile.TemporaryFile("w+") as errors:
        child = subprocess.Popen(
            [sys.executable, __file__, "--pull", platform, *_shape_args(shape)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        assert child.stdin is not None and child.stdout is not None
        phases: dict[str, dict[str, Any]] = {}
        with contextlib.suppress(BrokenPipeError):
            child.stdin.write(json.dumps(spec) + "\n")
            child.stdin.flush()
        asked, timed.seconds = len(peer.received), 0.0
        for line in child.stdout:
            if not line.startswith("{"):
                continue
            report = json.loads(line)
            phase, wait = report.pop("phase"), report.pop("wait")
            phases[phase] = report | {"peer_s": timed.seconds, "received": peer.received[asked:]}
            asked, timed.seconds = len(peer.received), 0.0
            if wait:
                with contextlib.suppress(BrokenPipeError):
                    child.stdin.write("\n")
                    child.stdin.flush()
        with contextlib.suppress(BrokenPipeError):
            child.stdin.close()
        if child.wait() != 0 or "full" not in phases:
            errors.seek(0)
            raise RuntimeError(f"the pulling process failed:\n{errors.read()}")
    return phases


def platform_run(platform: str, shape: Shape, *, indexed: bool, repeat: int) -> dict[str, Any]:
    """``--child``: checks the indexed peer, seeds the group (for Slack and Feishu with the next
    day's messages too), serves it to ``repeat`` pulling processes one after the other; the
    fastest pull's figures (the largest memory growth), and the fastest next day's pull's."""
    if indexed and platform in ("slack", "feishu"):
        differs = same_as_stock(platform, shape.seed)
        if differs:
            return {"platform": platform, "fatal": differs}
    work = synthetic(platform, shape)
    served = next_day(work, shape) if platform in INCREMENTAL else work
    runs: list[dict[str, Any]] = []
    nexts: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix=f"bench-{platform}-") as tmp:
        seeding = time.perf_counter()
        peer, spec = serve(served, Path(tmp) / "drops", indexed=indexed)
        seed_s = time.perf_counter() - seeding
        timed = _Timed(peer.route)
        peer.route = timed
        try:
            for _ in range(repeat):
                try:
                    phases = pulling_process(platform, shape, spec, peer, timed)
                except RuntimeError as exc:
                    return {"platform": platform, "fatal": str(exc)}
                runs.append(phases["full"])
                if "checked" in phases:  # its requests and time: the full pull to compare with
                    checked = {k: v for k, v in phases["checked"].items() if k not in ("received", "peer_s")}
                    nexts.append(phases["next"] | checked)
                elif platform in INCREMENTAL and not phases["full"]["problems"]:
                    return {
                        "platform": platform,
                        "fatal": "the pulling process stopped before the next day's",
                    }
        finally:
            peer.stop()
    best = min(runs, key=lambda r: r["wall_s"])
    cost = _estimate(platform, best.pop("received"))
    message_s, est_min_s = cost.pop("message_s"), cost["est_min_s"]
    fit = (
        int(shape.messages * (WORKER_TIMEOUT_S - (est_min_s - message_s)) / message_s) if message_s else None
    )
    following = None
    if nexts:
        fastest = min(nexts, key=lambda r: r["wall_s"])
        following = fastest | _estimate(platform, fastest.pop("received"))
        following["problems"] = sorted({p for r in nexts for p in r["problems"]})
        fixed_s = following["est_min_s"] - following["message_s"]
        day = following["day"]["messages"]
        following["fit_300s_day"] = (
            int(day * (WORKER_TIMEOUT_S - fixed_s) / following["message_s"])
            if following["message_s"]
            else None
        )
    return {
        "platform": platform,
        **best,
        **cost,
        "rss_mb": max(r["rss_mb"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "problems": sorted({p for r in runs for p in r["problems"]}),
        "seed_s": seed_s,
        "fit_300s": fit,
        "expected": work.expected,
        "next": following,
    }


def machine() -> str:
    cpu, memory = host.processor() or host.machine(), "unknown"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    with contextlib.suppress(OSError, StopIteration):
        kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    return (
        f"machine: cpu={cpu!r} cores={os.cpu_count()} memory={memory} "
        f"python={host.python_version()} ({host.python_implementation()}) os={host.system()}"
    )


def _line(r: dict[str, Any]) -> str:
    fit = f"{r['fit_300s']}" if r["fit_300s"] is not None else "n/a"
    return (
        f"bench: platform={r['platform']} messages={r['messages']} members={r['members']} "
        f"files={r['files']} requests={r['requests']} wall_s={r['wall_s']:.2f} "
        f"msgs_per_s={r['messages'] / r['wall_s']:.0f} cpu_s={r['cpu_s']:.2f} peer_s={r['peer_s']:.2f} "
        f"rss_mb={r['rss_mb']:.1f} est_min_s={r['est_min_s']:.1f} fit_300s={fit}"
    )


def _next_line(platform: str, r: dict[str, Any]) -> str:
    return (
        f"bench: platform={platform} pull=incremental messages={r['messages']} members={r['members']} "
        f"files={r['files']} new_messages={r['day']['messages']} requests={r['requests']} "
        f"wall_s={r['wall_s']:.2f} cpu_s={r['cpu_s']:.2f} peer_s={r['peer_s']:.2f} "
        f"state_mb={r['state_mb']:.1f} state_s={r['state_s']:.2f} est_min_s={r['est_min_s']:.1f} "
        f"fit_300s_day={r['fit_300s_day'] if r['fit_300s_day'] is not None else 'n/a'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--platforms", default=",".join(PLATFORMS))
    parser.add_argument("--reply-share", type=float, default=Shape.reply_share)
    parser.add_argument("--thread-replies", type=float, default=Shape.thread_replies)
    parser.add_argument("--seed", type=int, default=Shape.seed)
    parser.add_argument("--repeat", type=int, default=3, help="pulls per platform; the fastest is reported")
    parser.add_argument(
        "--stock-peers", action="store_true", help="serve Slack and Feishu from the stock peers"
    )
    parser.add_argument("--child", choices=PLATFORMS, help=argparse.SUPPRESS)
    parser.add_argument("--pull", choices=PLATFORMS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    shape = Shape(args.messages, args.seed, args.reply_share, args.thread_replies)
    if args.pull:
        puller(args.pull, shape)
        return 0
    if args.child:
        print(json.dumps(platform_run(args.child, shape, indexed=not args.stock_peers, repeat=args.repeat)))
        return 0
    platforms = [p.strip() for p in args.platforms.split(",") if p.strip()]
    if sorted(set(platforms) - set(PLATFORMS)) or args.messages < CHECK_MESSAGES:
        parser.error(f"platforms among {', '.join(PLATFORMS)}; --messages at least {CHECK_MESSAGES}")
    if args.thread_replies < 1 or args.repeat < 1:
        parser.error("--thread-replies and --repeat: at least 1")
    if (
        not 0 <= args.reply_share <= 0.5
        or args.reply_share / args.thread_replies > (1 - args.reply_share) / 2
    ):
        parser.error("--reply-share: from 0 to 0.5, and threads for at most half the top-level messages")

    print(machine())
    peers = (
        "stock peers"
        if args.stock_peers
        else "indexed Slack and Feishu peers, checked against the stock ones"
    )
    print(
        f"bench: messages={args.messages} members={MEMBERS} lookback_days={LOOKBACK_DAYS} "
        f"reply_share={args.reply_share} thread_replies={args.thread_replies} seed={args.seed} "
        f"repeat={args.repeat} (best wall time; {peers})",
        flush=True,
    )
    failed = False
    for platform in platforms:
        command = [
            sys.executable,
            __file__,
            "--child",
            platform,
            *_shape_args(shape),
            "--repeat",
            str(args.repeat),
        ]
        command += ["--stock-peers"] if args.stock_peers else []
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"FAIL {platform}: exit status {done.returncode}\n{done.stderr}", flush=True)
            failed = True
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if "fatal" in result:
            print(f"FAIL {platform}: {result['fatal']}", flush=True)
            failed = True
            continue
        print(_line(result))
        print("  calls: " + " ".join(f"{m}={n}" for m, n in result["calls"].items()))
        by_method = " ".join(f"{m}={s}" for m, s in result["est_by_method_s"].items())
        print(f"  est_min_s by method: {by_method or '-'}; unrated calls: {result['unrated']}")
        print(f"  peak_rss_mb={result['peak_rss_mb']:.1f} seed_s={result['seed_s']:.1f}")
        if result["retry_waits_s"]:
            print(f"  note: the peer asked for retries ({result['retry_waits_s']:.1f} s of waits skipped)")
        for problem in result["problems"]:
            print(f"FAIL {platform}: {problem}")
        failed = failed or bool(result["problems"])
        if not result["problems"]:
            carried = ", ".join(f"{k}={v}" for k, v in result["expected"].items())
            print(f"PASS {platform}: the pulled snapshot is the group ({carried})", flush=True)
        following = result["next"]
        if following:
            print(_next_line(result["platform"], following))
            print("  calls: " + " ".join(f"{m}={n}" for m, n in following["calls"].items()))
            by_method = " ".join(f"{m}={s}" for m, s in following["est_by_method_s"].items())
            print(f"  est_min_s by method: {by_method or '-'}; unrated calls: {following['unrated']}")
            if following["retry_waits_s"]:
                waits = following["retry_waits_s"]
                print(f"  note: the peer asked for retries ({waits:.1f} s of waits skipped)")
            for problem in following["problems"]:
                print(f"FAIL {platform} next day: {problem}")
            failed = failed or bool(following["problems"])
            if not following["problems"]:
                replies, dated = following["beyond_full"]["replies"], following["beyond_full"]["dated"]
                beyond = (
                    f"; beyond it, from the previous pull: {replies} replies to threads begun before the "
                    "window (a Feishu full pull reads a thread only from its root)"
                    if replies
                    else ""
                )
                if dated:
                    beyond += f"; {dated} files dated by an earlier share than the window holds"
                print(
                    f"PASS {platform} next day: the incremental pull's messages, members and files are "
                    f"a full pull's at the same time{beyond}",
                    flush=True,
                )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
