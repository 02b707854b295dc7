"""Fault injection over the whole local pipeline, compared with a fault-free run.

``python -m groupaudit.local.chaos --seeds N`` (``make chaos``) runs the sample tenant's
scheduled audit through the real handlers (scheduler -> audit queue -> worker -> notice queue
-> notifier -> the robots' loopback peer) once without faults, then once per scenario and seed
with the scenario's faults, and compares each run with the fault-free one: the open findings
stored (each missing one is lost, each extra one false), the audit request's counters, the
queues and dead-letter queues left, and the messages each group's robot received. It prints a
line per scenario, then::

    chaos: scenarios=S runs=R lost_findings=0 duplicate_notices=D stuck=0

Faults are injected the way the services fail, not by patching our code:

- DynamoDB: a botocore ``before-call`` hook on the functions' client answers a call with the
  error DynamoDB sends (``ProvisionedThroughputExceededException``, ``ThrottlingException``,
  ``InternalServerError``; for TransactWriteItems also ``TransactionCanceledException`` with one
  ``CancellationReasons`` entry per item, ``TransactionConflict`` or ``ThrottlingError`` on
  one of them). It is the error the code sees after the SDK's own retries gave up.
  And writes that DynamoDB applied whose answer never reached the client: a botocore
  ``after-call`` hook turns a write's success into a 500 ``InternalServerError`` or a read
  timeout, so every write the code retries (through SQS) must be idempotent.
- Robots: the peer answers HTTP 429 with ``Retry-After`` or 500/502/503 without taking the
  message; or takes it and then answers 504, or takes it and never answers (the robots'
  answer timeout is shortened to one second so a hung robot costs little).
- Platforms: every run also audits one group per platform pulled from its loopback peer
  (:data:`PULLED`); the peers' fault hook answers API calls (token calls included) as the
  platform refuses: 429 with ``Retry-After``, 5xx, and its own rate-limit or busy codes.
- SQS: batches in shuffled order, a message delivered twice at the same time to two
  concurrent invocations (two copies of the handler module, as two Lambda containers) and
  delivered again after it was handled.
- Killed invocations: the worker dies (:class:`Killed`, a BaseException nothing catches) at
  a random DynamoDB call of a batch; the notifier dies after the robot took a part of a
  digest and before the part is recorded. A dead invocation's messages come back after the
  queue's visibility timeout.

Time: the functions' clock (``runtime.now``, and Powertools Idempotency's) is virtual and
moves on by the queue's visibility timeout whenever messages are given back, as SQS would
make them wait; leases and in-progress records of dead invocations expire as they would.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import os
import random
import sys
import threading
import time
import types
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from groupaudit.local.invoke import FUNCTIONS, LambdaContext, sqs_event
from groupaudit.local.peers.base import Answer, Peer, Request, json_answer
from groupaudit.local.peers.robots import RobotPeer
from groupaudit.local.stack import (
    LOCAL_ENV,
    ROOT,
    TEMPLATE,
    one_request_at_a_time,
    patched_environ,
    reset_moto,
)

SAMPLE = ROOT / "events" / "sample-tenant"
SCHEDULED_EVENT = ROOT / "events" / "scheduled.json"
RATE = 0.3  # the share of calls or posts a scenario fails
ROBOT_TIMEOUT_S = 1.0
MAX_ROUNDS = 200  # receive rounds per queue before a run is declared stuck


class Killed(BaseException):
    """The invocation died here (timeout, out of memory, the host went away)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    dynamodb_errors: bool = False
    robot_refusals: bool = False
    robot_accepts_then_fails: bool = False
    duplicate_deliveries: bool = False
    kill_worker: bool = False
    kill_notifier_after_send: bool = False
    platform_errors: bool = False
    # DynamoDB writes applied, then answered as failed: "500" or "timeout" (a read timeout)
    dynamodb_applied_then: tuple[str, ...] = ()


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "dynamodb_errors",
        "30 % of DynamoDB calls throttled, 500 or transaction-cancelled",
        dynamodb_errors=True,
    ),
    Scenario(
        "robot_refusals", "30 % of robot posts answered 429 Retry-After or 500/502/503", robot_refusals=True
    ),
    Scenario(
        "robot_accepts_then_fails",
        "30 % of robot posts taken, then answered 504 or never answered",
        robot_accepts_then_fails=True,
    ),
    Scenario(
        "sqs_duplicates_reordered",
        "batches shuffled; 30 % of messages delivered twice at once and once more afterwards",
        duplicate_deliveries=True,
    ),
    Scenario(
        "worker_killed",
        "the first and 30 % of the other worker invocations die at a random DynamoDB call (two a run"
        " at most)",
        kill_worker=True,
    ),
    Scenario(
        "notifier_killed_after_send",
        "the first and half the other digests (two a run at most): the notifier dies after the robot"
        " took a part, before recording it",
        kill_notifier_after_send=True,
    ),
    Scenario(
        "platform_errors",
        "the first and 30 % of the other API calls of each platform pull (token calls included)"
        " refused as the platform refuses: 429 Retry-After, 5xx, its rate-limit or busy codes",
        platform_errors=True,
    ),
    Scenario(
        "dynamodb_applied_then_500",
        "30 % of DynamoDB writes applied, then answered 500 InternalServerError",
        dynamodb_applied_then=("500",),
    ),
    Scenario(
        "dynamodb_applied_then_timeout",
        "30 % of DynamoDB writes applied, then no answer in time (the SDK's read timeout)",
        dynamodb_applied_then=("timeout",),
    ),
)
# Run only when named (``--scenario``): none today.
EXTRA_SCENARIOS: tuple[Scenario, ...] = ()
# The one window no design closes: the platform took the message, the process died before
# anything could record that. Duplicates are expected there, and only there.
UNAVOIDABLE_WINDOW = "notifier_killed_after_send"


# ------------------------------------------------------------------------------------ faults


# The DynamoDB calls that change the table (what "applied, then an error" applies to).
APPLIED_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


class Faults:
    """What a run injects, decided by a seeded RNG, and what it injected."""

    def __init__(self, scenario: Scenario | None, seed: int, rate: float = RATE) -> None:
        self.scenario = scenario or Scenario("fault-free", "no faults")
        self.rate = rate
        self.rng = random.Random(f"{self.scenario.name}:{seed}")
        self.lock = threading.Lock()
        self.active = False  # inject only while the worker or the notifier runs
        self.function = ""
        self.calls = 0  # DynamoDB calls of the current invocation
        self.kill_at: int | None = None
        self.kills = 0
        self.window_kills = 0
        self.given_back: Counter[str] = Counter()  # messages given back to SQS, by function
        self.killed_notices: set[str] = set()
        self.injected: Counter[str] = Counter()
        self._seen: set[str] = set()

    def chance(self, rate: float | None = None) -> bool:
        with self.lock:
            return self.rng.random() < (self.rate if rate is None else rate)

    def first_then(self, kind: str, rate: float | None = None) -> bool:
        """True the first time for ``kind`` (so every run injects what its scenario names),
        then at ``rate``."""
        with self.lock:
            if kind not in self._seen:
                self._seen.add(kind)
                return True
        return self.chance(rate)

    def choice(self, options: list[Any]) -> Any:
        with self.lock:
            return self.rng.choice(options)

    def begin_invocation(self, function: str) -> None:
        self.function, self.calls, self.kill_at = function, 0, None
        if (
            self.scenario.kill_worker
            and function == "audit_worker"
            and self.kills < 2
            and self.first_then("kill")
        ):
            with self.lock:
                self.kill_at = self.rng.randint(1, 40)

    # --- DynamoDB, through botocore's before-call event ----------------------------------

    def before_dynamodb_call(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        if not self.active:
            return None
        operation = model.name
        body = json.loads(params.get("body") or b"{}")
        self.calls += 1
        if (
            self.kill_at is not None
            and self.calls >= self.kill_at
            and threading.current_thread() is threading.main_thread()
        ):
            self.kill_at = None
            self.kills += 1
            self.injected["worker killed"] += 1
            raise Killed(f"worker killed at its DynamoDB call {self.calls} ({operation})")
        if self.scenario.kill_notifier_after_send and _records_a_part(operation, body):
            notice = body["Key"]["SK"]["S"] + body["Key"]["PK"]["S"]
            if notice not in self.killed_notices and self.window_kills < 2 and self.first_then("window", 0.5):
                self.killed_notices.add(notice)
                self.window_kills += 1
                self.injected["notifier killed after send"] += 1
                raise Killed("notifier killed after the robot took a part, before recording it")
        if self.scenario.dynamodb_errors and self.chance():
            return self._dynamodb_error(operation, body)
        return None

    def after_dynamodb_call(self, model: Any, http_response: Any, **_: Any) -> None:
        """A write DynamoDB applied (``http_response`` is its 200), answered to the client as
        an error: the 500 a front end sends after the table took the write, or no answer in
        time (the SDK's read timeout). The caller cannot tell it from a write not applied."""
        if not (self.active and self.scenario.dynamodb_applied_then):
            return
        if model.name not in APPLIED_WRITES or http_response.status_code >= 300 or not self.chance():
            return
        from botocore.exceptions import ClientError, ReadTimeoutError

        if self.choice(list(self.scenario.dynamodb_applied_then)) == "timeout":
            self.injected[f"{model.name} applied, then read timeout"] += 1
            raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")
        self.injected[f"{model.name} applied, then 500"] += 1
        error = {
            "Error": {"Code": "InternalServerError", "Message": "Internal server error"},
            "ResponseMetadata": {"HTTPStatusCode": 500, "RequestId": uuid.uuid4().hex.upper()},
        }
        raise ClientError(error, model.name)  # type: ignore[arg-type]

    def _dynamodb_error(self, operation: str, body: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        errors = [
            (
                400,
                "ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput for the table was exceeded. "
                "Consider increasing your provisioning level with the UpdateTable API.",
            ),
            (400, "ThrottlingException", "Rate of requests exceeds the allowed throughput."),
            (500, "InternalServerError", "Internal server error"),
        ]
        if operation == "TransactWriteItems":
            errors.append((400, "TransactionCanceledException", ""))
        status, code, message = self.choice(errors)
        self.injected[code] += 1
        parsed: dict[str, Any] = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": uuid.uuid4().hex.upper()},
        }
        if code == "TransactionCanceledException":
            items = len(body.get("TransactItems", []))
            reasons: list[dict[str, str]] = [{"Code": "None"} for _ in range(items)]
            cause = self.choice(["TransactionConflict", "ThrottlingError"])
            with self.lock:
                where = self.rng.randrange(items) if items else 0
            reasons[where] = {
                "Code": cause,
                "Message": "Transaction is ongoing for the item"
                if cause == "TransactionConflict"
                else "Throughput exceeds the current capacity for one or more global secondary indexes.",
            }
            names = ", ".join(r["Code"] for r in reasons)
            parsed["Error"]["Message"] = (
                f"Transaction cancelled, please refer cancellation reasons for specific reasons [{names}]"
            )
            parsed["CancellationReasons"] = reasons
        from botocore.awsrequest import AWSResponse

        # botocore reads the headers as a mapping only (an HTTPHeaders is one)
        return AWSResponse("https://dynamodb.us-east-1.amazonaws.com/", status, {}, None), parsed  # type: ignore[arg-type]

    # --- robots -----------------------------------------------------------------------------

    def robot_fault(self) -> str | None:
        if not self.active:
            return None
        if self.scenario.robot_refusals and self.first_then("robot"):
            return self.choice(["429", "500", "502", "503"])
        if self.scenario.robot_accepts_then_fails and self.first_then("robot"):
            return self.choice(["accept-504", "accept-hang"])
        return None

    # --- platforms, through the peers' fault hook -----------------------------------------

    def platform_fault(self, platform: str, request: Request) -> Answer | None:
        """The answer refusing ``request`` to ``platform``'s API, when the scenario refuses it."""
        if not (self.active and self.scenario.platform_errors):
            return None
        first = f"platform {platform}" not in self._seen
        if not self.first_then(f"platform {platform}"):
            return None
        refusals = _platform_refusals(platform, request.path)
        # DingTalk's first refusal is its IP throttle (a minute, past what the HTTP layer waits):
        # every run has a pull that ends retryable and comes back through SQS
        kind, answer = refusals[-1] if first and platform == "dingtalk" else self.choice(refusals)
        self.injected[f"{platform} {kind}"] += 1
        return answer


def _platform_refusals(platform: str, path: str) -> list[tuple[str, Answer]]:
    """How each platform refuses a call it cannot take now (as the connectors' tables know it)."""
    from groupaudit.local.peers import dingtalk, feishu, slack, wecom

    gateway = [
        ("500", json_answer({"error": "internal error"}, 500)),
        ("502", (502, {"Content-Type": "text/html"}, b"<html><body>502 Bad Gateway</body></html>")),
        ("503", json_answer({"error": "service unavailable"}, 503)),
    ]
    if platform == "dingtalk":
        if path.startswith("/v1.0/"):  # api.dingtalk.com
            own = [("QpsLimitForAppkeyAndApi", dingtalk.DingTalkPeer.api_rate_limited())]
        elif path.startswith("/topapi/"):
            own = [
                ("errcode 88/90018", dingtalk.DingTalkPeer.topapi_rate_limited()),
                ("errcode 88", dingtalk.oapi_error(88, "系统繁忙")),
            ]
        else:
            own = [
                ("errcode -1", dingtalk.oapi_error(-1, "系统繁忙")),
                ("errcode 90018", dingtalk.DingTalkPeer.oapi_rate_limited()),
            ]
    elif platform == "wecom":
        own = [("errcode 45009", wecom.error_answer(45009)), ("errcode -1", wecom.error_answer(-1))]
    elif platform == "feishu":
        own = [
            ("429 99991400", feishu.rate_limited(429, reset_s=1)),
            ("400 99991400", feishu.rate_limited(400, reset_s=1)),
        ]
        if "/chats/" in path:
            own.append(("232019", feishu.chat_rate_limited()))
        if "/messages" in path:
            own.append(("230020", feishu.message_rate_limited()))
    else:
        own = [
            ("429 ratelimited", slack.rate_limited(1)),
            ("internal_error", slack.slack_error("internal_error")),
        ]
    if platform == "dingtalk":  # last: its first refusal of a run
        return [*own, *gateway, ("throttle", dingtalk.DingTalkPeer.ip_throttled(wait=1))]  # a minute
    return own + gateway


def _records_a_part(operation: str, body: dict[str, Any]) -> bool:
    """The notifier's write of how many parts of a digest the robot took."""
    key = body.get("Key") or {}
    return (
        operation == "UpdateItem"
        and key.get("SK", {}).get("S", "").startswith("NOTICE#")
        and "parts_sent" in str(body.get("UpdateExpression", ""))
    )


@dataclass
class ChaosRobots(RobotPeer):
    """The robots' peer, failing as ``faults`` decides."""

    faults: Faults | None = None

    def route(self, request: Any) -> Answer:
        fault = self.faults.robot_fault() if self.faults else None
        if fault in ("429", "500", "502", "503"):
            self.faults.injected[f"robot {fault}"] += 1  # type: ignore[union-attr]
            if fault == "429":
                return json_answer({"error": "rate limited"}, 429, {"Retry-After": "1"})
            return json_answer({"error": "upstream unavailable"}, int(fault))
        before = len(self.delivered)
        answer = super().route(request)
        if fault is None or len(self.delivered) == before:
            return answer
        self.faults.injected[f"robot {fault}"] += 1  # type: ignore[union-attr]
        if fault == "accept-504":
            return (504, {"Content-Type": "text/html"}, b"<html><body>504 Gateway Time-out</body></html>")
        time.sleep(ROBOT_TIMEOUT_S * 1.5)  # the sender gave up waiting
        return answer


# -------------------------------------------------------------------------------- time


class VirtualClock:
    """Real time plus an offset the driver moves on (a queue's visibility timeout)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += dt.timedelta(seconds=seconds)


@contextlib.contextmanager
def virtual_time(clock: VirtualClock) -> Iterator[None]:
    """The functions' clock and Powertools Idempotency's (``datetime.now()``) on ``clock``."""
    from groupaudit.pipeline import runtime

    class ShiftedDatetime(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Any:
            return dt.datetime.now(tz) + clock.offset

    shim = types.ModuleType("datetime")
    shim.__dict__.update(dt.__dict__)
    shim.datetime = ShiftedDatetime  # type: ignore[attr-defined]
    patched: list[tuple[Any, str, Any]] = [(runtime, "now", clock.now)]
    for name in (
        "aws_lambda_powertools.utilities.idempotency.base",
        "aws_lambda_powertools.utilities.idempotency.persistence.base",
        "aws_lambda_powertools.utilities.idempotency.persistence.dynamodb",
    ):
        module = importlib.import_module(name)
        patched.append((module, "dt", shim))
    saved = [(target, attr, getattr(target, attr)) for target, attr, _ in patched]
    for target, attr, value in patched:
        setattr(target, attr, value)
    try:
        yield
    finally:
        for target, attr, value in saved:
            setattr(target, attr, value)


# -------------------------------------------------------------------------------- platforms

# One group per platform, pulled from its loopback peer in every run: (platform, the sample
# snapshot it holds). Its group id is the sample's with "-pulled".
PULLED: tuple[tuple[str, str], ...] = (
    ("dingtalk", "sales.json"),
    ("wecom", "operations-vip.json"),
    ("feishu", "rd.json"),
    ("slack", "meeting-weekly.json"),
)
_TIMES = (
    "taken_at",
    "messages_since",
    "created_at",
    "joined_at",
    "left_at",
    "sent_at",
    "uploaded_at",
    "updated_at",
    "expires_at",
    "last_accessed_at",
)


def _moved(value: Any, by: dt.timedelta) -> Any:
    """``value`` (a snapshot document) with every time moved on by ``by``."""
    if isinstance(value, list):
        return [_moved(v, by) for v in value]
    if not isinstance(value, dict):
        return value
    moved = {}
    for key, item in value.items():
        if key in _TIMES and isinstance(item, str):
            moved[key] = (dt.datetime.fromisoformat(item) + by).isoformat()
        else:
            moved[key] = _moved(item, by)
    return moved


def pulled_snapshot(name: str, platform: str, now: dt.datetime) -> Any:
    """The sample snapshot ``name`` as the group ``<id>-pulled`` on ``platform``, its times moved
    on by whole weeks (weekdays and local times of day stay, so the rules see the same week)
    to the last week before ``now``, the run's clock when it starts."""
    from groupaudit.loading import decode_snapshot

    document = json.loads((SAMPLE / "snapshots" / name).read_text(encoding="utf-8"))
    taken = dt.datetime.fromisoformat(document["taken_at"])
    weeks = max((now - taken) // dt.timedelta(weeks=1), 0)
    document = _moved(document, dt.timedelta(weeks=weeks))
    document["platform"] = platform
    document["group"]["id"] = f"{document['group']['id']}-pulled"
    return decode_snapshot(json.dumps(document, ensure_ascii=False).encode(), name)


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()


@dataclass
class PulledGroup:
    """A group of :data:`PULLED` as its platform holds it: the peer (not started), the
    credentials a tenant would store, the records dropped for it (DingTalk, WeCom)."""

    platform: str
    snapshot: Any
    peer: Peer
    credentials: dict[str, str]
    chat_id: str
    drops: list[dict[str, Any]]
    idmap: dict[str, str]  # platform id -> directory id, where they differ

    @property
    def base_url(self) -> str:
        from groupaudit.local.peers.slack import SlackPeer

        return self.peer.api_url if isinstance(self.peer, SlackPeer) else self.peer.url


def pulled_group(platform: str, name: str, now: dt.datetime) -> PulledGroup:
    from groupaudit.local.peers import dingtalk, feishu, slack, wecom

    snapshot = pulled_snapshot(name, platform, now)
    gid = snapshot.group.id
    if platform == "dingtalk":
        ding = dingtalk.DingTalkPeer.from_snapshot(snapshot)
        credentials = {"app_key": ding.app_key, "app_secret": ding.app_secret}
        return PulledGroup(platform, snapshot, ding, credentials, gid, dingtalk.drop_records(snapshot), {})
    if platform == "wecom":
        we = wecom.WeComPeer.from_snapshot(snapshot)
        ids = {w: m for m, w in wecom.platform_ids(snapshot).items() if w != m}
        return PulledGroup(
            platform, snapshot, we, we.credentials("customer"), gid, wecom.archive_records(snapshot), ids
        )
    if platform == "feishu":
        fei = feishu.FeishuPeer.from_snapshot(snapshot)
        credentials = {"app_id": fei.app_id, "app_secret": fei.app_secret}
        return PulledGroup(platform, snapshot, fei, credentials, fei.chat_id, [], {})
    sla = slack.SlackPeer.from_snapshot(snapshot)
    return PulledGroup(platform, snapshot, sla, {"token": sla.token}, gid, [], {})


def start_platforms(
    stack: contextlib.ExitStack, faults: Faults, now: dt.datetime, registered: list[Any], settings: Any
) -> list[Any]:
    """Starts one peer per platform holding its group (:data:`PULLED`), every API call first
    shown to ``faults``; puts the credentials in Secrets Manager and the dropped records and
    the tenant's id map in S3; returns the groups' registrations (each the sample group's,
    pulled from its peer)."""
    import boto3

    from groupaudit.pipeline import runtime
    from groupaudit.wire import GroupRegistration

    s3 = boto3.client("s3")
    by_id = {g.group_id: g for g in registered}
    tenant = registered[0].tenant_id
    idmap: dict[str, dict[str, str]] = {}
    groups = []
    for platform, name in PULLED:
        pulled = pulled_group(platform, name, now)
        gid = pulled.snapshot.group.id
        pulled.peer.fault = lambda request, platform=platform: faults.platform_fault(platform, request)
        stack.enter_context(pulled.peer)
        secret_name = f"tenants/{tenant}/{platform}-app"
        runtime.client("secretsmanager").create_secret(
            Name=f"{settings.secrets_prefix}{secret_name}", SecretString=json.dumps(pulled.credentials)
        )
        if pulled.drops:
            s3.put_object(
                Bucket=settings.snapshot_bucket,
                Key=f"drops/{tenant}/{gid}/0000.jsonl",
                Body=_jsonl(pulled.drops),
            )
        if pulled.idmap:
            idmap[platform] = pulled.idmap
        base = by_id[gid.removesuffix("-pulled")]
        source = {
            "type": platform,
            "chat_id": pulled.chat_id,
            "secret_name": secret_name,
            "base_url": pulled.base_url,
        }
        groups.append(
            GroupRegistration.model_validate(
                {
                    **base.model_dump(exclude={"source", "group_id", "platform", "name"}),
                    "group_id": gid,
                    "platform": platform,
                    "name": pulled.snapshot.group.name,
                    "source": source,
                }
            )
        )
    if idmap:
        s3.put_object(
            Bucket=settings.snapshot_bucket,
            Key=f"tenants/{tenant}/idmap.json",
            Body=json.dumps(idmap, ensure_ascii=False).encode(),
        )
    return groups


# -------------------------------------------------------------------------------- one run


@dataclass
class RunResult:
    scenario: str
    seed: int
    findings: set[tuple[str, str]]
    notices: Counter[tuple[str, str]]  # (robot, text) of what each robot received, how often
    told: set[tuple[str, str]]  # the open findings marked notified (in a notice that went out)
    counters: dict[str, int]
    leftovers: dict[str, int]  # messages left in each queue and dead-letter queue
    injected: Counter[str] = field(default_factory=Counter)
    window_kills: int = 0
    given_back: Counter[str] = field(default_factory=Counter)  # messages SQS redelivered, by function
    lost: int = 0
    false: int = 0
    duplicates: int = 0
    untold: int = 0  # findings the fault-free run told about and this one did not
    counters_exact: bool = True
    stuck: bool = False


def _handler(name: str, copy: str = "") -> Callable[[dict, Any], Any]:
    """``functions/<name>/handler.py``'s handler; a named ``copy`` is a module of its own (a
    second Lambda container, with its own batch processor)."""
    if not copy:
        from groupaudit.local.invoke import load_handler

        return load_handler(name)
    path = FUNCTIONS / name / "handler.py"
    spec = importlib.util.spec_from_file_location(f"groupaudit_chaos.{name}.{copy}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


_TWINS: dict[str, Callable[[dict, Any], Any]] = {}


def _twin(name: str) -> Callable[[dict, Any], Any]:
    if name not in _TWINS:
        _TWINS[name] = _handler(name, "twin")
    return _TWINS[name]


def _drain(
    function: str,
    queue_url: str,
    batch_size: int,
    visibility_s: float,
    sqs: Any,
    faults: Faults,
    clock: VirtualClock,
) -> bool:
    """Feeds the queue to the function until it is empty, as the event source mapping would,
    with the scenario's deliveries; False when it did not empty within MAX_ROUNDS."""
    handler = _handler(function)
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    resent: set[str] = set()
    for _ in range(MAX_ROUNDS):
        messages: list[dict[str, Any]] = []
        while True:
            answer = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
            )
            if not answer.get("Messages"):
                break
            messages += answer["Messages"]
        if not messages:
            return True
        if faults.scenario.duplicate_deliveries:
            faults.rng.shuffle(messages)
        gave_back = False
        for start in range(0, len(messages), batch_size):
            batch = messages[start : start + batch_size]
            failed = _invoke(function, handler, batch, arn, faults)
            for message in batch:
                if message["MessageId"] in failed:
                    gave_back = True
                    faults.given_back[function] += 1
                    sqs.change_message_visibility(
                        QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                    )
                    continue
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                body = message["Body"]
                if faults.scenario.duplicate_deliveries and body not in resent and faults.chance():
                    resent.add(body)  # at-least-once: the same message once more, later
                    faults.injected["delivered again later"] += 1
                    sqs.send_message(QueueUrl=queue_url, MessageBody=body)
        if gave_back:
            clock.advance(visibility_s)  # the failed messages wait out their visibility timeout
    return False


def _invoke(
    function: str, handler: Callable[[dict, Any], Any], batch: list[dict[str, Any]], arn: str, faults: Faults
) -> set[str]:
    """One invocation on ``batch`` (and a concurrent one on some of its messages, when the
    scenario duplicates deliveries); the ids of the messages to give back."""
    twin_batch = [m for m in batch if faults.scenario.duplicate_deliveries and faults.chance()]
    twin: threading.Thread | None = None
    if twin_batch:
        faults.injected["delivered twice at once"] += len(twin_batch)
        twin_handler = _twin(function)
        twin_event = sqs_event(twin_batch, arn)

        def run_twin() -> None:
            with contextlib.suppress(Exception):
                twin_handler(twin_event, LambdaContext(function))

        twin = threading.Thread(target=run_twin, name=f"{function}-twin")
    faults.begin_invocation(function)
    faults.active = True
    try:
        if twin is not None:
            twin.start()
        response = handler(sqs_event(batch, arn), LambdaContext(function)) or {}
        return {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
    except Killed:
        return {m["MessageId"] for m in batch}  # nothing was answered: all come back
    finally:
        if twin is not None:
            twin.join()
        faults.active = False


def _robot_channels(groups: list[Any], robots: RobotPeer) -> list[Any]:
    from groupaudit.local.demo import _robot_channel

    return [g.model_copy(update={"notice": _robot_channel(g, robots)}) for g in groups]


@contextlib.contextmanager
def _aws(server_endpoint: str | None) -> Iterator[dict[str, str]]:
    """A fresh AWS for one run: moto in-process, or the local stack's server reset."""
    import boto3

    from groupaudit.local.resources import create_resources
    from groupaudit.pipeline import runtime

    if server_endpoint is None:
        from moto import mock_aws

        environment = {**LOCAL_ENV, "POWERTOOLS_LOG_LEVEL": "CRITICAL"}
        with patched_environ(environment), mock_aws():
            saved_endpoint = os.environ.pop("AWS_ENDPOINT_URL", None)
            try:
                runtime.reset()
                resources = create_resources(boto3.Session(region_name="us-east-1"), TEMPLATE)
                with patched_environ(resources), runtime.local_peers_allowed():
                    yield resources
            finally:
                if saved_endpoint is not None:
                    os.environ["AWS_ENDPOINT_URL"] = saved_endpoint
                runtime.reset()
        return
    reset_moto(server_endpoint)
    runtime.reset()
    resources = create_resources(boto3.Session(region_name="us-east-1"), TEMPLATE)
    with patched_environ(resources):
        try:
            yield resources
        finally:
            runtime.reset()


def run_once(scenario: Scenario | None, seed: int, server_endpoint: str | None = None) -> RunResult:
    """The sample tenant's scheduled audit, end to end, under ``scenario`` (None: no faults)."""
    import boto3

    from groupaudit.local.seed import seed_tenant
    from groupaudit.notifiers import robots as robot_module
    from groupaudit.pipeline import runtime
    from groupaudit.settings import load_settings

    faults = Faults(scenario, seed)
    clock = VirtualClock()
    with (
        contextlib.ExitStack() as platforms,
        _aws(server_endpoint) as resources,
        ChaosRobots(faults=faults) as robots,
        virtual_time(clock),
        one_request_at_a_time(),
        _patched(robot_module, "TIMEOUT_S", ROBOT_TIMEOUT_S),
        contextlib.redirect_stdout(sys.stderr),  # console notices, metrics: not the report
    ):
        settings = load_settings()
        sqs = boto3.client("sqs")
        driver_table = boto3.client("dynamodb")  # the driver's reads: never faulted
        from groupaudit.adapters.storage import Storage

        store = Storage(settings.table_name, driver_table)
        groups = seed_tenant(
            SAMPLE,
            s3_client=boto3.client("s3"),
            store=store,
            snapshot_bucket=settings.snapshot_bucket,
            backup_bucket=settings.backup_bucket,
        )
        groups += start_platforms(platforms, faults, clock.now(), groups, settings)
        store.groups.put_groups(_robot_channels(groups, robots))
        runtime.client("dynamodb").meta.events.register("before-call.dynamodb", faults.before_dynamodb_call)
        runtime.client("dynamodb").meta.events.register("after-call.dynamodb", faults.after_dynamodb_call)
        event = json.loads(SCHEDULED_EVENT.read_text(encoding="utf-8"))
        fanned = _handler("scheduler")(event, LambdaContext("scheduler"))
        (tenant, audit_id), *_ = fanned["audits"].items()
        emptied = _drain("audit_worker", resources["AUDIT_QUEUE_URL"], 5, 1800, sqs, faults, clock)
        emptied &= _drain("notifier", resources["NOTICE_QUEUE_URL"], 5, 720, sqs, faults, clock)
        audit = store.runs.audit(tenant, audit_id)
        findings, told = set(), set()
        for group in groups:
            items, _ = store.findings.findings_page(tenant, group.group_id, "open", 1000, None)
            findings |= {(group.group_id, item.finding_id) for item in items}
            told |= {(group.group_id, item.finding_id) for item in items if item.notified_at}
        counters = {
            key: getattr(audit, key) if audit is not None else -1
            for key in ("groups_total", "groups_done", "groups_failed", "groups_skipped", "findings_total")
        }
        leftovers = {}
        for queue in sqs.list_queues().get("QueueUrls", []):
            attributes = sqs.get_queue_attributes(
                QueueUrl=queue,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            leftovers[queue.rsplit("/", 1)[-1]] = int(attributes["ApproximateNumberOfMessages"]) + int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            )
        result = RunResult(
            scenario=faults.scenario.name,
            seed=seed,
            findings=findings,
            notices=Counter((d.robot, d.text) for d in robots.delivered),
            told=told,
            counters=counters,
            leftovers=leftovers,
            injected=faults.injected,
            window_kills=faults.window_kills,
            given_back=faults.given_back,
        )
        result.stuck = (
            not emptied or counters["groups_done"] != counters["groups_total"] or any(leftovers.values())
        )
        return result


@contextlib.contextmanager
def _patched(target: Any, name: str, value: Any) -> Iterator[None]:
    saved = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, saved)


def compare(run: RunResult, baseline: RunResult) -> RunResult:
    """Fills in what ``run`` lost, added, repeated and miscounted against the fault-free run."""
    run.lost = len(baseline.findings - run.findings)
    run.false = len(run.findings - baseline.findings)
    # a duplicate: the same message posted to the same robot again (the tenant pass's lines
    # may go out in a digest of their own when the group's was claimed first: not a repeat)
    run.duplicates = sum(count - 1 for count in run.notices.values())
    run.untold = len(baseline.told - run.told)
    run.counters_exact = run.counters == baseline.counters
    return run


@dataclass
class Summary:
    scenarios: int
    runs: list[RunResult]

    @property
    def lost_findings(self) -> int:
        return sum(r.lost for r in self.runs)

    @property
    def duplicate_notices(self) -> int:
        return sum(r.duplicates for r in self.runs)

    @property
    def stuck(self) -> int:
        return sum(1 for r in self.runs if r.stuck)

    def line(self) -> str:
        return (
            f"chaos: scenarios={self.scenarios} runs={len(self.runs)} lost_findings={self.lost_findings} "
            f"duplicate_notices={self.duplicate_notices} stuck={self.stuck}"
        )


def run_chaos(
    seeds: int,
    scenarios: tuple[Scenario, ...] = SCENARIOS,
    *,
    server: bool = False,
    out: IO[str] | None = None,
) -> Summary:
    """Every scenario with seeds 1..``seeds``, against one fault-free run; a detail line per
    scenario on ``out``, then the summary line."""
    out = out or sys.stdout
    with contextlib.ExitStack() as stack:
        endpoint = None
        if server:
            from groupaudit.local.stack import local_stack

            endpoint = stack.enter_context(local_stack(log_level="CRITICAL")).endpoint
        baseline = run_once(None, 0, endpoint)
        out.write(
            f"fault-free: {len(baseline.findings)} open findings, {sum(baseline.notices.values())} notices, "
            f"counters {baseline.counters}\n"
        )
        runs = []
        for scenario in scenarios:
            mine = [compare(run_once(scenario, seed, endpoint), baseline) for seed in range(1, seeds + 1)]
            runs += mine
            injected = sum((r.injected for r in mine), Counter())
            out.write(
                f"{scenario.name}: runs={len(mine)} lost={sum(r.lost for r in mine)} "
                f"false={sum(r.false for r in mine)} duplicates={sum(r.duplicates for r in mine)} "
                f"(window kills {sum(r.window_kills for r in mine)}) "
                f"untold={sum(r.untold for r in mine)} "
                f"stuck={sum(r.stuck for r in mine)} "
                f"counters_exact={sum(r.counters_exact for r in mine)}/{len(mine)} "
                f"injected={dict(sorted(injected.items()))}\n"
            )
            for run in mine:
                if run.stuck or not run.counters_exact:
                    out.write(f"   seed {run.seed}: counters {run.counters} left {run.leftovers}\n")
            out.flush()
    summary = Summary(len(scenarios), runs)
    out.write(summary.line() + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m groupaudit.local.chaos", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seeds", type=int, default=3, help="runs per scenario (default 3)")
    parser.add_argument(
        "--scenario",
        action="append",
        choices=[s.name for s in SCENARIOS + EXTRA_SCENARIOS],
        help="only these (repeatable)",
    )
    parser.add_argument(
        "--server", action="store_true", help="on moto's server over loopback, not in-process"
    )
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    chosen = tuple(s for s in SCENARIOS + EXTRA_SCENARIOS if s.name in (args.scenario or [])) or SCENARIOS
    summary = run_chaos(args.seeds, chosen, server=args.server)
    return 0 if summary.lost_findings == 0 and summary.stuck == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
