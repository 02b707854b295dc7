"""The ledger and appeal routes of the API function (moto): signed requests, tenancy, decisions,
appeals and their histories."""

from __future__ import annotations

import copy
import json
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from groupaudit import signing
from groupaudit.adapters.storage import Storage
from groupaudit.contracts import Finding
from groupaudit.discipline import appeals, ledger
from groupaudit.pipeline import api, runtime
from groupaudit.policy import Policy, parse_policy
from groupaudit.settings import Settings
from groupaudit.supervision import service
from kit import ROOT, invoke

CST = ZoneInfo("Asia/Shanghai")
SAMPLE = json.loads((ROOT / "events" / "api_post_audits.json").read_text(encoding="utf-8"))
SECRETS = {"acme": b"acme-api-secret", "globex": b"globex-api-secret"}
GROUP = "grp-sales"
DIRECTORY = {
    "schema_version": 1,
    "people": [
        {"id": "u-zhang", "name": "张三", "department": "销售部"},
        {"id": "u-head", "name": "王五", "department": "销售部"},
        {"id": "u-super", "name": "监督", "department": "总经办"},
    ],
    "departments": [{"name": "销售部", "head_id": "u-head"}],
}


def call(
    method: str, path: str, body: dict[str, Any] | None = None, tenant: str = "acme", signed: bool = True
) -> tuple[int, Any]:
    """The API function's answer to a request signed now by ``tenant`` (a fresh timestamp each
    call, so repeated requests are never replays)."""
    raw = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
    call.stamp = max(getattr(call, "stamp", 0) + 1, int(time.time()))  # type: ignore[attr-defined]
    stamp = str(call.stamp)  # type: ignore[attr-defined]
    path_only, _, query = path.partition("?")
    event = copy.deepcopy(SAMPLE)
    headers = {k: v for k, v in event["headers"].items() if not k.startswith("x-groupaudit-")}
    headers.update(
        {"x-groupaudit-tenant": tenant, "x-groupaudit-timestamp": stamp, "content-length": str(len(raw))}
    )
    if signed:
        headers["x-groupaudit-signature"] = signing.sign_request(SECRETS[tenant], stamp, method, path, raw)
    event.update(routeKey=f"{method} {path_only}", rawPath=path_only, rawQueryString=query, headers=headers)
    event["body"] = raw.decode()
    if query:
        event["queryStringParameters"] = dict(part.split("=", 1) for part in query.split("&"))
    event["requestContext"].update(routeKey=f"{method} {path_only}")
    event["requestContext"]["http"].update(method=method, path=path_only)
    answer = invoke("api", event)
    return answer["statusCode"], json.loads(answer["body"]) if answer.get("body") else None


def advert(number: int, sent: datetime) -> Finding:
    return Finding(
        id=f"f{number}",
        rule="prohibited_content",
        kind="advertising",
        severity="violation",
        subject_id="u-zhang",
        message_id=f"m{number}",
        file_id=None,
        detected_at=sent,
        policy_ref="003 第四章 2.3",
        summary=f"advert {number}",
        evidence={"sent_at": sent.isoformat()},
    )


@pytest.fixture
def acme_ledger(aws: dict[str, str], settings: Settings, store: Storage) -> list[str]:
    """Both tenants' API secrets; acme's directory; two proposed entries of u-zhang in November."""
    secrets = runtime.client("secretsmanager")
    for tenant, secret in SECRETS.items():
        secrets.create_secret(Name=api.tenant_secret_name(settings, tenant), SecretString=secret.decode())
    runtime.client("s3").put_object(
        Bucket=settings.snapshot_bucket,
        Key="tenants/acme/directory.json",
        Body=json.dumps(DIRECTORY).encode(),
    )
    findings = [
        advert(1, datetime(2026, 11, 2, 10, tzinfo=CST)),
        advert(2, datetime(2026, 11, 9, 10, tzinfo=CST)),
    ]
    audited = datetime(2026, 11, 9, 18, tzinfo=CST)
    store.findings.sync_findings("acme", GROUP, "audit-1", audited, findings, {})
    service.record_findings(store, "acme", GROUP, findings, [], parse_policy({}, "test"), None, audited)
    return [ledger.entry_id("acme", GROUP, f.id) for f in findings]


def test_a_months_entries_are_listed_with_what_the_ladder_recommends(acme_ledger: list[str]) -> None:
    status, body = call("GET", "/ledger?month=2026-11")
    assert status == 200
    assert [(e["entry_id"], e["status"], e["recommended"]["action"]) for e in body["entries"]] == [
        (acme_ledger[0], "proposed", "public_criticism"),
        (acme_ledger[1], "proposed", "public_criticism"),
    ]
    assert call("GET", "/ledger?person=u-zhang")[1]["entries"] == body["entries"]
    assert call("GET", "/ledger?month=2026-10")[1]["entries"] == []


def test_a_confirmation_is_recorded_and_the_next_entry_counts_it(acme_ledger: list[str]) -> None:
    first, second = acme_ledger
    status, body = call("POST", f"/ledger/{first}/confirm", {"actor_id": "u-super", "reason": "seen it"})
    assert status == 200
    assert (body["status"], body["decided_by"], body["confirmed_sanction"]["action"]) == (
        "confirmed",
        "u-super",
        "public_criticism",
    )
    assert [(e["type"], e["actor"], e["reason"]) for e in body["history"]] == [
        ("proposed", "auditor", None),
        ("confirmed", "u-super", "seen it"),
    ]
    _, later = call("GET", f"/ledger/{second}")
    assert (later["recommended"]["time"], later["recommended"]["yuan"]) == (2, 50)
    # AND a second decision on the same entry is refused with the reason
    status, refused = call("POST", f"/ledger/{first}/waive", {"actor_id": "u-super", "reason": "no"})
    assert status == 422
    assert refused["details"][0]["msg"].endswith("confirmed: only a proposed entry is waived")


def test_another_tenant_neither_sees_nor_changes_acmes_entries(acme_ledger: list[str]) -> None:
    first, _ = acme_ledger
    assert call("GET", f"/ledger/{first}", tenant="globex")[0] == 404
    assert call("GET", "/ledger?month=2026-11", tenant="globex") == (
        200,
        {"month": "2026-11", "person": None, "entries": []},
    )
    decision = {"actor_id": "u-super", "reason": "x"}
    assert call("POST", f"/ledger/{first}/confirm", decision, tenant="globex")[0] == 404
    appeal = {"appellant_id": "u-zhang", "reason": "x", "entry_id": first}
    assert call("POST", "/appeals", appeal, tenant="globex")[0] == 404
    assert call("GET", f"/ledger/{first}")[1]["status"] == "proposed"


def test_unsigned_requests_are_refused(acme_ledger: list[str]) -> None:
    assert call("GET", "/ledger?month=2026-11", signed=False)[0] == 401
    assert (
        call(
            "POST", f"/ledger/{acme_ledger[0]}/confirm", {"actor_id": "u-super", "reason": "x"}, signed=False
        )[0]
        == 401
    )
    assert call("GET", f"/ledger/{acme_ledger[0]}")[1]["status"] == "proposed"


def test_an_appeal_by_the_head_overturned_by_the_team_is_read_back_in_full(acme_ledger: list[str]) -> None:
    first, second = acme_ledger
    call("POST", f"/ledger/{first}/confirm", {"actor_id": "u-super", "reason": "seen it"})
    call("POST", f"/ledger/{second}/confirm", {"actor_id": "u-super", "reason": "again"})
    request = {"appellant_id": "u-head", "reason": "our own product", "entry_id": first}
    status, appeal = call("POST", "/appeals", request)
    assert (status, appeal["status"], appeal["appellant_role"], appeal["target"]) == (
        201,
        "filed",
        "head",
        "entry",
    )
    # AND filing it again answers the same appeal
    again_status, again = call("POST", "/appeals", request)
    assert (again_status, again["appeal_id"]) == (200, appeal["appeal_id"])
    month = datetime.fromisoformat(appeal["filed_at"]).astimezone(CST).strftime("%Y-%m")
    assert [a["appeal_id"] for a in call("GET", f"/appeals?month={month}")[1]["appeals"]] == [
        appeal["appeal_id"]
    ]
    decision = {"actor_id": "u-super", "outcome": "overturned", "reason": "internal product"}
    status, decided = call("POST", f"/appeals/{appeal['appeal_id']}/decision", decision)
    assert (status, decided["status"], [e["type"] for e in decided["history"]]) == (
        200,
        "overturned",
        ["filed", "overturned"],
    )
    _, entry = call("GET", f"/ledger/{first}")
    assert [e["type"] for e in entry["history"]] == ["proposed", "confirmed", "appeal_filed", "overturned"]
    _, later = call("GET", f"/ledger/{second}")
    assert (later["recommended"]["time"], later["needs_review"]) == (1, True)
    assert call("GET", f"/appeals/{appeal['appeal_id']}", tenant="globex")[0] == 404


def test_bad_appeals_and_decisions_are_refused_with_what_is_wrong(acme_ledger: list[str]) -> None:
    first, _ = acme_ledger
    both = {
        "appellant_id": "u-zhang",
        "reason": "x",
        "entry_id": first,
        "group_id": GROUP,
        "finding_id": "f1",
    }
    status, body = call("POST", "/appeals", both)
    assert status == 422 and "name either entry_id, or group_id and finding_id" in body["details"][0]["msg"]
    stranger = {"appellant_id": "u-super", "reason": "x", "entry_id": first}
    status, body = call("POST", "/appeals", stranger)
    assert (status, body["details"][0]["loc"]) == (422, ["body", "appellant_id"])
    status, body = call("POST", f"/ledger/{first}/confirm", {"actor_id": "u-zhang", "reason": "mine"})
    assert status == 422 and "their own case" in body["details"][0]["msg"]
    assert call("GET", "/ledger/not-an-id")[0] == 404
    assert call("GET", "/ledger")[0] == 422


def test_an_appeal_of_a_finding_is_due_an_answer_three_working_days_after_it_by_the_tenants_calendar(
    acme_ledger: list[str],
) -> None:
    request = {"appellant_id": "u-zhang", "reason": "x", "group_id": GROUP, "finding_id": "f1"}
    status, appeal = call("POST", "/appeals", request)
    filed = datetime.fromisoformat(appeal["filed_at"])
    calendar = Policy().business_calendar
    assert (status, appeal["target"], appeal["entry_id"]) == (
        201,
        "finding",
        ledger.entry_id("acme", GROUP, "f1"),
    )
    assert appeal["window_deadline"] is None  # the finding was never notified: nothing to be late for
    assert datetime.fromisoformat(appeal["answer_due"]) == appeals.workday_deadline(filed, 3, calendar)
