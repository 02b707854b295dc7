"""The HTTP API function against moto: signed requests, on-demand audits, status, findings, registry."""

from __future__ import annotations

import base64
import copy
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from groupaudit import signing
from groupaudit.adapters.storage.limits import NONCE_TTL
from groupaudit.api.openapi import main as openapi_main
from groupaudit.api.openapi import openapi_json
from groupaudit.contracts import Finding
from groupaudit.local.api_server import SERVICE
from groupaudit.pipeline import api, runtime
from groupaudit.settings import Settings
from groupaudit.wire import GroupRegistration
from kit import ROOT, invoke, receive_all

SAMPLE = json.loads((ROOT / "events" / "api_post_audits.json").read_text(encoding="utf-8"))
SAMPLE_SECRET = b"example-secret"  # what events/api_post_audits.json and docs/API.md are signed with
ACME, GLOBEX = "acme", "globex"
SECRETS = {ACME: b"acme-api-secret", GLOBEX: b"globex-api-secret"}


# --- helpers ------------------------------------------------------------------------------------


def http_event(
    method: str,
    path: str,
    body: bytes | str = b"",
    *,
    tenant: str | None = ACME,
    secret: bytes | None = None,
    timestamp: int | None = None,
    skew: int = 0,
    extra_headers: dict[str, str] | None = None,
    omit: tuple[str, ...] = (),
) -> dict:
    """An HTTP API v2 event shaped like events/api_post_audits.json, signed as a client would.

    Signed at ``timestamp`` (default: now) plus ``skew`` seconds. Identical requests within one
    second have identical signatures, so tests repeating a request pass distinct timestamps.
    """
    raw = body.encode() if isinstance(body, str) else body
    path_only, _, query = path.partition("?")
    stamp = str((int(time.time()) if timestamp is None else timestamp) + skew)
    key = SECRETS.get(tenant or "", b"none") if secret is None else secret
    event = copy.deepcopy(SAMPLE)
    headers = {k: v for k, v in event["headers"].items() if not k.startswith("x-groupaudit-")}
    headers["content-length"] = str(len(raw))
    signed = {
        "x-groupaudit-tenant": tenant,
        "x-groupaudit-timestamp": stamp,
        "x-groupaudit-signature": signing.sign_request(key, stamp, method, path, raw),
    }
    headers.update({name: value for name, value in signed.items() if value is not None and name not in omit})
    headers.update({name.lower(): value for name, value in (extra_headers or {}).items()})
    event.update(
        routeKey=f"{method} {path_only}",
        rawPath=path_only,
        rawQueryString=query,
        headers=headers,
        body=raw.decode(),
    )
    if query:
        event["queryStringParameters"] = dict(part.split("=", 1) for part in query.split("&"))
    event["requestContext"].update(routeKey=f"{method} {path_only}")
    event["requestContext"]["http"].update(method=method, path=path_only)
    return event


def call(method: str, path: str, body: bytes | str | dict = b"", **kwargs) -> tuple[int, Any]:
    """(status, the answer's JSON body as decoded, or None when it has none)."""
    raw = json.dumps(body, separators=(",", ":")) if isinstance(body, dict) else body
    answer = invoke("api", http_event(method, path, raw, **kwargs))
    return answer["statusCode"], json.loads(answer["body"]) if answer.get("body") else None


def queued(sqs, settings) -> list[dict]:
    return [json.loads(message["Body"]) for message in receive_all(sqs, settings.audit_queue_url)]


def queue_depth(sqs, settings) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=settings.audit_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def registration(tenant: str, group: str, **fields) -> GroupRegistration:
    return GroupRegistration(tenant_id=tenant, group_id=group, platform="slack", kind="project", **fields)


def finding(number: int) -> Finding:
    return Finding(
        id=f"f{number:04d}",
        rule="inactive_member",
        kind=None,
        severity="warning",
        subject_id=f"u{number:04d}",
        message_id=None,
        file_id=None,
        detected_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
        policy_ref="4.2",
        summary=f"member u{number:04d} inactive",
        evidence={"days": number},
    )


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def tenants(aws, settings):
    """Both tenants' API secrets in Secrets Manager (moto)."""
    secrets = runtime.client("secretsmanager")
    for tenant, secret in SECRETS.items():
        secrets.create_secret(Name=api.tenant_secret_name(settings, tenant), SecretString=secret.decode())
    return SECRETS


@pytest.fixture
def groups(tenants, store):
    """acme: grp-a and grp-b enabled, grp-off disabled; globex: grp-x."""
    for item in (
        registration(ACME, "grp-a"),
        registration(ACME, "grp-b"),
        registration(ACME, "grp-off", enabled=False),
        registration(GLOBEX, "grp-x"),
    ):
        store.groups.put_group(item)


# --- POST /audits -------------------------------------------------------------------------------


def test_a_signed_request_for_all_groups_queues_one_message_per_enabled_group(groups, sqs, settings):
    # GIVEN acme with two enabled groups and a disabled one
    # WHEN a signed POST /audits asks for all of them
    status, body = call("POST", "/audits", {"tenant_id": ACME, "group_id": "all"})
    # THEN 202 with the audit id, and exactly one message per enabled group is queued
    assert status == 202
    assert body == {"audit_id": body["audit_id"], "status_url": f"/audits/{body['audit_id']}"}
    assert len(body["audit_id"]) == 32
    messages = queued(sqs, settings)
    assert sorted(m["group_id"] for m in messages) == ["grp-a", "grp-b"]
    assert {(m["tenant_id"], m["audit_id"], m["trigger"]) for m in messages} == {
        (ACME, body["audit_id"], "api")
    }


def test_a_signed_request_for_one_group_queues_exactly_that_group(groups, sqs, settings):
    # GIVEN acme's registered groups
    # WHEN one group is asked for
    status, body = call("POST", "/audits", {"tenant_id": ACME, "group_id": "grp-b"})
    # THEN one message, for that group
    assert status == 202
    assert [(m["group_id"], m["audit_id"]) for m in queued(sqs, settings)] == [("grp-b", body["audit_id"])]


def test_a_retried_request_returns_the_same_audit_id_and_queues_nothing_new(groups, sqs, settings):
    # GIVEN an audit requested once
    now = int(time.time())
    first_status, first = call("POST", "/audits", {"tenant_id": ACME, "group_id": "all"}, timestamp=now)
    # WHEN the client retries the same body, signed anew (a second later)
    second_status, second = call("POST", "/audits", {"tenant_id": ACME, "group_id": "all"}, timestamp=now + 1)
    # THEN the same 202 and audit id, and still only the first two messages
    assert (first_status, second_status) == (202, 202)
    assert second == first
    assert queue_depth(sqs, settings) == 2


def test_an_idempotency_key_names_the_audit_instead_of_the_body(groups, sqs, settings):
    # GIVEN the same body sent under two idempotency keys, the second key twice
    body = {"tenant_id": ACME, "group_id": "grp-a"}
    now = int(time.time())
    _, monday = call("POST", "/audits", body, timestamp=now, extra_headers={"Idempotency-Key": "run-1"})
    _, tuesday = call("POST", "/audits", body, timestamp=now + 1, extra_headers={"Idempotency-Key": "run-2"})
    _, retry = call("POST", "/audits", body, timestamp=now + 2, extra_headers={"Idempotency-Key": "run-2"})
    # THEN each key is its own audit, a repeated key is the same audit, and two messages in all
    assert monday["audit_id"] != tuesday["audit_id"]
    assert retry["audit_id"] == tuesday["audit_id"]
    assert queue_depth(sqs, settings) == 2


BODY = {"tenant_id": ACME, "group_id": "all"}


@pytest.mark.parametrize(
    ("case", "kwargs", "error"),
    [
        (
            "forged",
            {"extra_headers": {"X-GroupAudit-Signature": "sha256=" + "0" * 64}},
            "signature does not match",
        ),
        ("wrong secret", {"secret": SECRETS[GLOBEX]}, "signature does not match"),
        ("no tenant", {"omit": ("x-groupaudit-tenant",)}, "missing X-GroupAudit-Tenant"),
        ("no timestamp", {"omit": ("x-groupaudit-timestamp",)}, "missing X-GroupAudit-Timestamp"),
        ("no signature", {"omit": ("x-groupaudit-signature",)}, "missing X-GroupAudit-Signature"),
        ("not hex", {"extra_headers": {"X-GroupAudit-Signature": "sha256=xyz"}}, "must be sha256=<64"),
        ("stale", {"skew": -301}, "more than 300 seconds off"),
        ("future", {"skew": 301}, "more than 300 seconds off"),
        ("no secret", {"tenant": "initech", "secret": b"guess"}, "signature does not match"),
    ],
)
def test_an_unauthenticated_request_is_refused_with_401_and_queues_nothing(
    groups, sqs, settings, case, kwargs, error
):
    # GIVEN a request whose signature is missing, malformed, wrong, stale or of a tenant without secret
    # WHEN it is sent
    status, body = call("POST", "/audits", {**BODY, "tenant_id": kwargs.get("tenant", ACME)}, **kwargs)
    # THEN 401 says why, and nothing is queued
    assert status == 401, case
    assert error in body["error"]
    assert body["details"] == []
    assert queue_depth(sqs, settings) == 0


def test_a_replayed_request_is_refused_with_401_and_queues_nothing_more(groups, sqs, settings):
    # GIVEN a signed request that was carried out
    event = http_event("POST", "/audits", json.dumps(BODY))
    assert invoke("api", event)["statusCode"] == 202
    # WHEN the very same request (same timestamp and signature) arrives again
    answer = invoke("api", event)
    # THEN 401 (replay) and only the first request's messages are on the queue
    assert answer["statusCode"] == 401
    assert "replay" in json.loads(answer["body"])["error"]
    assert queue_depth(sqs, settings) == 2


def test_an_unsigned_request_is_401_even_when_its_body_is_invalid(groups, sqs, settings):
    # GIVEN a request with neither a valid body nor a signature
    # WHEN it is sent
    status, body = call("POST", "/audits", {"group_id": ""}, omit=("x-groupaudit-signature",))
    # THEN authentication answers first: nothing about the body is told
    assert (status, body["error"]) == (401, "missing X-GroupAudit-Signature")


def test_an_unknown_group_is_404_and_queues_nothing(groups, sqs, settings):
    status, body = call("POST", "/audits", {"tenant_id": ACME, "group_id": "grp-nope"})
    assert (status, body) == (404, {"error": "unknown group grp-nope", "details": []})
    assert queue_depth(sqs, settings) == 0


@pytest.mark.parametrize(
    ("payload", "loc", "kind"),
    [
        ({"group_id": "grp-a"}, ["body", "tenant_id"], "missing"),
        ({**BODY, "priority": "high"}, ["body", "priority"], "extra_forbidden"),
        ({"tenant_id": ACME, "group_id": ""}, ["body", "group_id"], "string_pattern_mismatch"),
    ],
)
def test_an_invalid_body_is_422_with_details(groups, sqs, settings, payload, loc, kind):
    # GIVEN a signed request whose body is invalid
    status, body = call("POST", "/audits", payload)
    # THEN 422 names the field and why, and nothing is queued
    assert status == 422
    assert body["error"] == "invalid request"
    assert [(d["loc"], d["type"]) for d in body["details"]] == [(loc, kind)]
    assert body["details"][0]["msg"]
    assert queue_depth(sqs, settings) == 0


def test_a_body_naming_another_tenant_is_422_and_queues_nothing(groups, sqs, settings):
    # GIVEN acme's valid signature over a body that names globex
    status, body = call("POST", "/audits", {"tenant_id": GLOBEX, "group_id": "grp-x"})
    # THEN 422 (authenticated, but the body contradicts the signer), nothing queued for anyone
    assert status == 422
    assert body["details"] == [
        {"loc": ["body", "tenant_id"], "msg": "must equal X-GroupAudit-Tenant", "type": "value_error"}
    ]
    assert queue_depth(sqs, settings) == 0


def test_a_disabled_group_is_422(groups, sqs, settings):
    status, body = call("POST", "/audits", {"tenant_id": ACME, "group_id": "grp-off"})
    assert (status, body["error"]) == (422, "group is disabled")
    assert queue_depth(sqs, settings) == 0


def test_the_sample_event_is_signed_with_the_documented_secret(groups, sqs, settings, monkeypatch):
    # GIVEN events/api_post_audits.json (the worked example of docs/API.md), acme's secret set to
    # the documented one, and a clock at the event's timestamp
    runtime.client("secretsmanager").put_secret_value(
        SecretId=api.tenant_secret_name(settings, ACME), SecretString=SAMPLE_SECRET.decode()
    )
    monkeypatch.setattr(runtime, "now", lambda: datetime.fromtimestamp(1767225600, UTC))
    # WHEN the sample event is invoked as it is
    answer = invoke("api", SAMPLE)
    # THEN it is accepted: its signature is the one the docs compute with openssl
    assert answer["statusCode"] == 202
    assert SAMPLE["headers"]["x-groupaudit-signature"] == (
        "sha256=1f1aa317625cfdf4c4760b74e8383dc565c436ebf186982f21fc21522966eb7d"
    )


# --- GET /audits/{id} ---------------------------------------------------------------------------


def _run(status: str, findings: int = 0, error: str | None = None) -> dict:
    return {
        "status": status,
        "finished_at": "2026-11-20T10:05:00+00:00",
        "duration_ms": 1200,
        "findings": findings,
        "counts": {"by_rule": {"inactive_member": findings}} if findings else {},
        "error": error,
    }


def test_audit_status_follows_the_recorded_runs(groups, store):
    # GIVEN an audit of acme's two enabled groups
    now = int(time.time())
    _, accepted = call("POST", "/audits", BODY, timestamp=now)
    audit_id = accepted["audit_id"]
    # WHEN nothing has run yet
    status, before = call("GET", f"/audits/{audit_id}", timestamp=now)
    # THEN it is queued, each group waiting
    assert status == 200
    assert (before["status"], before["groups_total"], before["groups_done"], before["trigger"]) == (
        "queued",
        2,
        0,
        "api",
    )
    assert [(r["group_id"], r["status"]) for r in before["runs"]] == [
        ("grp-a", "queued"),
        ("grp-b", "queued"),
    ]
    # WHEN one group's run is recorded
    store.runs.finish_run(ACME, "grp-a", audit_id, _run("succeeded", findings=3))
    _, running = call("GET", f"/audits/{audit_id}", timestamp=now + 1)
    # THEN it is running, with that run's numbers
    assert (running["status"], running["groups_done"], running["findings_total"]) == ("running", 1, 3)
    assert running["runs"][0] == {
        "group_id": "grp-a",
        "status": "succeeded",
        "findings": 3,
        "counts": {"by_rule": {"inactive_member": 3}},
        "error": None,
        "finished_at": "2026-11-20T10:05:00+00:00",
        "duration_ms": 1200,
    }
    # WHEN the other group's run fails
    store.runs.finish_run(ACME, "grp-b", audit_id, _run("failed", error="snapshot missing"))
    _, done = call("GET", f"/audits/{audit_id}", timestamp=now + 2)
    # THEN all are done, some failed: partial
    assert (done["status"], done["groups_done"], done["groups_failed"]) == ("partial", 2, 1)
    assert done["runs"][1]["error"] == "snapshot missing"


@pytest.mark.parametrize(
    ("total", "done", "failed", "state"),
    [
        (3, 0, 0, "queued"),
        (3, 1, 1, "running"),
        (3, 3, 0, "succeeded"),
        (3, 3, 3, "failed"),
        (3, 3, 1, "partial"),
    ],
)
def test_audit_state_is_derived_from_the_counters(total, done, failed, state):
    assert api.audit_state(total, done, failed) == state


def test_an_unknown_audit_is_404(groups):
    assert call("GET", "/audits/" + "0" * 32)[0] == 404
    assert call("GET", "/audits/not-an-id")[0] == 404


# --- GET /groups/{id}/findings ------------------------------------------------------------------


@pytest.fixture
def many_findings(groups, store):
    """120 open findings on acme's grp-a."""
    audited = datetime(2026, 11, 20, 10, tzinfo=UTC)
    store.findings.sync_findings(ACME, "grp-a", "a" * 32, audited, [finding(n) for n in range(120)], {})
    return 120


def test_findings_are_paginated_with_a_cursor_until_the_last_page(many_findings):
    # GIVEN 120 open findings
    sizes, ids, cursor = [], [], None
    # WHEN paging with limit=50, following next_cursor
    for _ in range(4):
        path = "/groups/grp-a/findings?status=open&limit=50" + (f"&cursor={cursor}" if cursor else "")
        status, page = call("GET", path)
        assert status == 200
        sizes.append(len(page["findings"]))
        ids += [item["finding_id"] for item in page["findings"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # THEN pages of 50, 50 and 20, every finding once, and no cursor after the last
    assert sizes == [50, 50, 20]
    assert sorted(ids) == [f"f{n:04d}" for n in range(120)]
    assert cursor is None
    assert page["findings"][-1]["status"] == "open"
    assert page["findings"][-1]["finding"]["summary"] == "member u0119 inactive"


def test_the_status_filter_selects_findings(many_findings):
    _, resolved = call("GET", "/groups/grp-a/findings?status=resolved")
    _, everything = call("GET", "/groups/grp-a/findings?status=all&limit=200")
    assert (len(resolved["findings"]), resolved["next_cursor"]) == (0, None)
    assert len(everything["findings"]) == 120


FOREIGN_CURSOR = (
    base64.urlsafe_b64encode(json.dumps({"PK": "TENANT#globex#GROUP#grp-x", "SK": "FINDING#x"}).encode())
    .decode()
    .rstrip("=")
)


@pytest.mark.parametrize("cursor", ["not-a-cursor", FOREIGN_CURSOR])
def test_a_tampered_cursor_is_400(many_findings, cursor):
    # GIVEN garbage, or a well-formed cursor into another tenant's group
    status, body = call("GET", f"/groups/grp-a/findings?cursor={cursor}")
    # THEN 400, naming the cursor
    assert status == 400
    assert body["error"] == "invalid cursor"
    assert body["details"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize(
    ("query", "loc"),
    [("limit=0", ["query", "limit"]), ("limit=201", ["query", "limit"]), ("status=x", ["query", "status"])],
)
def test_an_invalid_findings_query_is_422(many_findings, query, loc):
    status, body = call("GET", f"/groups/grp-a/findings?{query}")
    assert status == 422
    assert [d["loc"] for d in body["details"]] == [loc]


def test_findings_of_an_unregistered_group_are_404(groups):
    assert call("GET", "/groups/grp-nope/findings")[0] == 404


# --- the registry -------------------------------------------------------------------------------


def test_the_registry_round_trip(tenants):
    # GIVEN a new group registration
    group = registration(ACME, "grp-new", name="新项目群").model_dump(mode="json")
    # WHEN it is registered, listed, replaced, removed and listed again
    now = int(time.time())
    created = call("POST", "/groups", group, timestamp=now)
    listed = call("GET", "/groups", timestamp=now)
    replaced = call("POST", "/groups", {**group, "name": "新项目群 v2", "enabled": False}, timestamp=now)
    removed = call("DELETE", "/groups/grp-new", timestamp=now)
    after = call("GET", "/groups", timestamp=now + 1)
    removed_again = call("DELETE", "/groups/grp-new", timestamp=now + 1)
    # THEN 201, listed, 200 with the new name, 204, gone, then 404
    assert created == (201, group)
    assert listed == (200, {"groups": [group]})
    assert replaced[0] == 200
    assert (replaced[1]["name"], replaced[1]["enabled"]) == ("新项目群 v2", False)
    assert removed == (204, None)
    assert after == (200, {"groups": []})
    assert removed_again[0] == 404


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"tenant_id": GLOBEX}, ["body", "tenant_id"]),
        ({"group_id": "all"}, ["body", "group_id"]),
        ({"source": {"type": "s3", "key": "snapshots/globex/grp-x.json"}}, ["body", "source", "key"]),
        (
            {
                "notice": {
                    "type": "webhook",
                    "url": "https://hooks.example.com/a",
                    "secret_name": "tenants/globex/api",
                }
            },
            ["body", "notice", "secret_name"],
        ),
        (
            {"source": {"type": "slack", "chat_id": "C024BE91L", "secret_name": "tenants/globex/slack"}},
            ["body", "source", "secret_name"],
        ),
        (
            {
                "platform": "wecom",
                "source": {
                    "type": "wecom",
                    "secret_name": "tenants/acme/wecom",
                    "drop_prefix": "drops/globex/grp-x/",
                },
            },
            ["body", "source", "drop_prefix"],
        ),
        # the Lambda runtime API listens on loopback: a tenant never points a function there
        (
            {"notice": {"type": "slack", "url": "http://127.0.0.1:9001/2018-06-01/runtime/init/error"}},
            ["body", "notice", "url"],
        ),
        (
            {
                "source": {
                    "type": "slack",
                    "secret_name": "tenants/acme/slack",
                    "base_url": "https://10.0.0.7/api",
                }
            },
            ["body", "source", "base_url"],
        ),
    ],
)
def test_a_registration_may_only_point_at_the_tenants_own_things(tenants, store, fields, loc):
    # GIVEN a registration naming another tenant, the reserved id, or another tenant's object
    group = {**registration(ACME, "grp-new").model_dump(mode="json"), **fields}
    # WHEN acme registers it
    status, body = call("POST", "/groups", group)
    # THEN 422 names the field, and nothing is stored
    assert status == 422
    assert [d["loc"] for d in body["details"]] == [loc]
    assert store.groups.list_groups(ACME) == [] and store.groups.list_groups(GLOBEX) == []


# --- tenant isolation ---------------------------------------------------------------------------


def test_another_tenants_signature_cannot_read_this_tenants_data(groups, many_findings):
    # GIVEN an acme audit and acme findings
    _, accepted = call("POST", "/audits", BODY)
    # WHEN globex, correctly signed as globex, asks for them
    audit = call("GET", f"/audits/{accepted['audit_id']}", tenant=GLOBEX)
    findings = call("GET", "/groups/grp-a/findings", tenant=GLOBEX)
    listed = call("GET", "/groups", tenant=GLOBEX)
    removed = call("DELETE", "/groups/grp-a", tenant=GLOBEX)
    # AND globex claims to be acme with its own secret
    posing = call("GET", "/groups", tenant=ACME, secret=SECRETS[GLOBEX])
    # THEN nothing of acme's is visible or changed
    assert audit[0] == 404
    assert findings[0] == 404
    assert [g["group_id"] for g in listed[1]["groups"]] == ["grp-x"]
    assert removed[0] == 404
    assert posing[0] == 401
    assert [g["group_id"] for g in call("GET", "/groups")[1]["groups"]] == ["grp-a", "grp-b", "grp-off"]


def test_replay_protection_outlives_the_timestamp_tolerance():
    # GIVEN the tolerance of the default settings
    tolerance = timedelta(seconds=Settings.model_fields["signature_tolerance_s"].default)
    # THEN a used signature is remembered at least as long as a timestamp stays acceptable
    assert tolerance * 2 <= NONCE_TTL


# --- the OpenAPI description --------------------------------------------------------------------


def test_the_committed_openapi_description_is_current():
    # GIVEN docs/openapi.json
    # WHEN regenerated from the API function's resolver in check mode
    # THEN nothing is stale (run `python -m groupaudit.api.openapi` after changing a route)
    assert openapi_main(["--docs", str(ROOT / "docs"), "--check"]) == 0


def test_the_openapi_description_is_valid_and_lists_every_route():
    from openapi_spec_validator import validate

    document = json.loads(openapi_json())
    validate(document)
    routes = {(path, method) for path, item in document["paths"].items() for method in item}
    assert routes == {
        ("/audits", "post"),
        ("/audits/{audit_id}", "get"),
        ("/groups/{group_id}/findings", "get"),
        ("/groups", "post"),
        ("/groups", "get"),
        ("/groups/{group_id}", "delete"),
        ("/ledger", "get"),
        ("/ledger/{entry_id}", "get"),
        ("/ledger/{entry_id}/confirm", "post"),
        ("/ledger/{entry_id}/waive", "post"),
        ("/appeals", "post"),
        ("/appeals", "get"),
        ("/appeals/{appeal_id}", "get"),
        ("/appeals/{appeal_id}/decision", "post"),
        ("/reports/{month}", "get"),
        ("/reports", "post"),
        ("/reports/link/{token}", "get"),
        ("/tenant/supervision", "put"),
        ("/tenant/supervision", "get"),
        ("/tenant/supervision", "delete"),
    }
    assert document["security"] == [{"tenant": [], "timestamp": [], "signature": []}]
    # AND the report link alone may be followed unsigned (its token is its credential)
    unsigned = {(p, m) for p, item in document["paths"].items() for m, op in item.items() if "security" in op}
    assert unsigned == {("/reports/link/{token}", "get")}
    assert document["paths"]["/reports/link/{token}"]["get"]["security"] == [{}]


def test_reads_may_be_repeated_but_writes_may_not(groups, sqs, settings):
    # GIVEN one signed read and one signed registration removal, each sent twice as is
    read = http_event("GET", "/groups")
    write = http_event("DELETE", "/groups/grp-a")
    # WHEN they are replayed
    reads = [invoke("api", read)["statusCode"] for _ in range(2)]
    writes = [invoke("api", write)["statusCode"] for _ in range(2)]
    # THEN the read answers twice (status polling), the removal only once
    assert reads == [200, 200]
    assert writes == [204, 401]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://open.feishu.cn/hook", "must use https"),  # the model refuses it first
        ("https://bot:hunter2@open.feishu.cn/hook", "must not carry user:password@"),
        ("https://open.feishu.cn:8443/hook", "must use the https port 443"),
        ("https://localhost./hook", "must name a public host"),
        ("https://robots.localhost/hook", "must name a public host"),
        ("https://printer.local/hook", "must name a public host"),
        ("https://metadata.google.internal/computeMetadata", "must name a public host"),
        ("https://metadata/computeMetadata", "must name a public host"),
        ("https://127.0.0.1/hook", "must not point at a loopback address"),
        ("https://0x7f.1/hook", "must not point at a loopback address"),
        ("https://[::ffff:127.0.0.1]/hook", "must not point at a loopback address"),
        ("https://169.254.169.254/latest/meta-data", "must not point at a link-local address"),
        ("https://[64:ff9b::a9fe:a9fe]/latest", "link-local address (as the IPv4 address 169.254.169.254"),
        ("https://[2002:a9fe:a9fe::1]/latest", "link-local address (as the IPv4 address 169.254.169.254"),
        ("https://10.0.0.7/api", "must not point at a private address"),
        ("https://[ff02::1]/hook", "must not point at a multicast address"),
        ("https://0.0.0.0/hook", "must not point at the unspecified address"),
        ("https://100.64.0.1/hook", "must not point at not a public address"),
    ],
)
def test_a_registered_url_must_be_https_to_a_public_host_on_443_without_credentials(
    tenants, store, url, reason
):
    # GIVEN a robot URL that is not https://public-host[:443]/… (or carries credentials)
    group = registration(ACME, "grp-new").model_dump(mode="json")
    group["notice"] = {"type": "slack", "url": url}
    # WHEN acme registers it
    status, body = call("POST", "/groups", group)
    # THEN 422 names the field and why, without echoing the URL, and nothing is stored
    assert status == 422
    [detail] = body["details"]
    assert detail["loc"] == ["body", "notice", "url"]
    assert reason in detail["msg"]
    assert "hunter2" not in json.dumps(body)
    assert store.groups.list_groups(ACME) == []


def test_a_public_https_url_on_443_is_registered(tenants, store):
    # GIVEN a DingTalk robot URL with the explicit https port
    group = registration(ACME, "grp-new").model_dump(mode="json")
    group["notice"] = {"type": "dingtalk", "url": "https://oapi.dingtalk.com:443/robot/send?access_token=x"}
    # WHEN acme registers it
    status, _ = call("POST", "/groups", group)
    # THEN it is stored
    assert status == 201
    assert str(store.groups.get_group(ACME, "grp-new").notice.url).startswith("https://oapi.dingtalk.com")


# --- the deployed log level, deep bodies, extreme timestamps, skipped runs -----------------------


def test_audits_and_registrations_answer_at_the_templates_log_level(groups, caplog):
    # GIVEN the functions logging at the template's POWERTOOLS_LOG_LEVEL (INFO), as deployed
    assert logging.getLogger(SERVICE).getEffectiveLevel() == logging.INFO
    caplog.set_level(logging.INFO, logger=SERVICE)
    # WHEN an audit is requested and a group registered
    audit, _ = call("POST", "/audits", {"tenant_id": ACME, "group_id": "grp-a"})
    group, _ = call("POST", "/groups", registration(ACME, "grp-new").model_dump(mode="json"))
    # THEN both succeed (the work done is not reported as a 500), each logged with whether it was new
    assert (audit, group) == (202, 201)
    logged = {record.getMessage(): record for record in caplog.records if record.name == SERVICE}
    assert logged["audit requested"].new_audit is True
    assert logged["group registered"].new_registration is True


def _registration_nested(levels: int) -> str:
    """A registration body nesting ``levels`` deep: its policy overrides hold a chain of arrays
    (written by hand: the json module itself cannot write 2000 levels)."""
    chain = "[" * (levels - 4) + '"x"' + "]" * (levels - 4)
    body = json.dumps(registration(ACME, "grp-deep").model_dump(mode="json"), separators=(",", ":"))
    return body[:-1] + ',"policy_overrides":{"rules":{"inactive_member":{"note":' + chain + "}}}}"


@pytest.mark.parametrize("levels", [2003, 65])  # ~4 KB of brackets; one level over the limit
def test_a_deeply_nested_body_is_refused_unread_with_422(groups, store, levels):
    # GIVEN a signed registration whose policy overrides nest too deeply
    # WHEN it is sent
    status, body = call("POST", "/groups", _registration_nested(levels))
    # THEN 422 says why, before any parser ran, and nothing is stored
    assert status == 422
    detail = {"loc": ["body"], "msg": "arrays and objects nest at most 64 levels deep", "type": "value_error"}
    assert body == {"error": "request body nested too deeply", "details": [detail]}
    assert store.groups.get_group(ACME, "grp-deep") is None


def test_a_body_at_the_nesting_limit_is_read(groups, store):
    # GIVEN a registration whose body nests exactly 64 levels (in an override no policy has)
    # WHEN it is sent
    status, body = call("POST", "/groups", _registration_nested(64))
    # THEN it is read: refused for what it says (an unknown policy key), not for its depth
    assert status == 422
    assert body["error"] == "invalid group registration"
    loc = ["body", "policy_overrides", "rules", "inactive_member", "note"]
    assert [d["loc"] for d in body["details"]] == [loc]
    assert store.groups.get_group(ACME, "grp-deep") is None


def test_a_deeply_nested_unsigned_body_is_401_not_500(groups):
    # GIVEN 4 KB of nested brackets with a wrong signature, on both POST routes
    deep = "[" * 2000 + "]" * 2000
    for path in ("/audits", "/groups"):
        # WHEN sent
        status, body = call("POST", path, deep, secret=b"not-the-secret")
        # THEN authentication answers first
        assert (status, body["error"]) == (401, "signature does not match (or the tenant has no API secret)")


def test_a_deeply_nested_audit_request_is_422_and_queues_nothing(groups, sqs, settings):
    # GIVEN a signed POST /audits whose body is 4 KB of nesting
    # WHEN sent
    status, body = call("POST", "/audits", "[" * 2000 + "]" * 2000)
    # THEN 422, nothing queued
    assert (status, body["error"]) == (422, "request body nested too deeply")
    assert queue_depth(sqs, settings) == 0


@pytest.mark.parametrize(
    "timestamp",
    ["253402300800", "-62135596800", "99999999999999999999999", "1e30", "9" * 5000, "٣"],
)
def test_an_extreme_signature_timestamp_is_a_401(groups, timestamp):
    # GIVEN a request signed at a timestamp past year 9999, before year 1, or not a number
    event = http_event("GET", "/groups", extra_headers={"X-GroupAudit-Timestamp": timestamp})
    # WHEN sent
    answer = invoke("api", event)
    # THEN it is refused as unauthenticated, never a 500
    assert answer["statusCode"] == 401
    assert json.loads(answer["body"])["error"] in (
        "timestamp is more than 300 seconds off",
        "X-GroupAudit-Timestamp is not unix seconds",
    )


def test_a_skipped_run_counts_as_done_not_failed(groups, store):
    # GIVEN an audit of two groups: one run succeeded, one skipped (a newer audit was stored first)
    at = datetime(2026, 11, 20, 10, tzinfo=UTC)
    store.runs.create_audit(ACME, "c" * 32, ["grp-a", "grp-b"], "api", at)
    store.runs.finish_run(ACME, "grp-a", "c" * 32, _run("succeeded", findings=2))
    store.runs.finish_run(ACME, "grp-b", "c" * 32, _run("skipped", error="a newer audit came first"))
    # WHEN its status is read
    status, audit = call("GET", f"/audits/{'c' * 32}")
    # THEN it succeeded: both groups done, none failed, one skipped
    assert status == 200
    assert (audit["status"], audit["groups_done"], audit["groups_failed"], audit["groups_skipped"]) == (
        "succeeded",
        2,
        0,
        1,
    )
    assert [run["status"] for run in audit["runs"]] == ["succeeded", "skipped"]
