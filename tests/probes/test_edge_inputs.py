"""Bad input refused at the edge, with an error naming the field: group ids, policy overrides
that would fail every audit, oversized registrations; credentials of stored URLs masked when
listed; unknown tenants checked the way known ones are; reply cycles and unknown mentions."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest

from groupaudit import signing
from groupaudit.cli import EXIT_INVALID, main
from groupaudit.errors import InputError
from groupaudit.loading import decode_snapshot
from groupaudit.pipeline import api, runtime, worker
from groupaudit.policy import load_policy
from groupaudit.service import audit_snapshot
from groupaudit.wire import MAX_REGISTRATION_BYTES, GroupRegistration
from kit import TENANT
from probes.signed import ACME, INITECH, SECRETS, call

SALES = json.loads((TENANT / "snapshots" / "sales.json").read_text(encoding="utf-8"))


@pytest.fixture
def tenants(aws, settings):
    secrets = runtime.client("secretsmanager")
    for tenant, secret in SECRETS.items():
        secrets.create_secret(Name=api.tenant_secret_name(settings, tenant), SecretString=secret.decode())
    return SECRETS


def registration(group: str = "grp-new", **fields) -> dict:
    document = {"tenant_id": ACME, "group_id": group, "platform": "slack", "kind": "project"}
    return {**document, **fields}


# --- group ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "group_id",
    [".", "..", "...", ".hidden", "-rf", "a/b", "../globex", "a\\b", "a\x00b", "a\nb", "a b", "x" * 129, ""],
    ids=[
        "dot",
        "dotdot",
        "dots",
        "dot-led",
        "dash-led",
        "slash",
        "traversal",
        "backslash",
        "nul",
        "newline",
        "space",
        "129-chars",
        "empty",
    ],
)
def test_a_group_id_outside_the_pattern_is_refused_naming_group_id(tenants, store, group_id):
    # GIVEN a registration whose group id could name a path, a flag or nothing
    # WHEN acme registers it
    status, body = call("POST", "/groups", registration(group_id))
    # THEN 422 names body.group_id, and nothing is stored
    assert status == 422
    assert [d["loc"] for d in body["details"]] == [["body", "group_id"]]
    assert store.groups.list_groups(ACME) == []


@pytest.mark.parametrize("group_id", ["a", "C024BE91L", "grp.sales-2026", "oc_1a:b@c", "x" * 128])
def test_a_group_id_inside_the_pattern_is_registered(tenants, store, group_id):
    status, body = call("POST", "/groups", registration(group_id))
    assert (status, body["group_id"]) == (201, group_id)
    assert store.groups.get_group(ACME, group_id).group_id == group_id


# --- policy overrides ---------------------------------------------------------------------------

BAD_OVERRIDES = [
    (
        {"rules": {"inactive_member": {"inactive_dayz": 3}}},
        ["rules", "inactive_member", "inactive_dayz"],
        "did you mean 'inactive_days'",
    ),
    (
        {"rules": {"inactive_member": {"inactive_days": "soon"}}},
        ["rules", "inactive_member", "inactive_days"],
        "integer",
    ),
    (
        {"rules": {"inactive_member": {"inactive_days": -1}}},
        ["rules", "inactive_member", "inactive_days"],
        "",
    ),
    ({"rules": {"no_such_rule": {}}}, ["rules", "no_such_rule"], "unknown key"),
    ({"calendar": {"timezone": "Mars/Olympus"}}, ["calendar", "timezone"], ""),
    ({"rules": []}, ["rules"], ""),
]


@pytest.mark.parametrize(
    ("overrides", "loc", "words"),
    BAD_OVERRIDES,
    ids=["typo", "wrong-type", "negative", "unknown-rule", "bad-timezone", "rules-a-list"],
)
def test_overrides_that_would_fail_every_audit_are_refused_at_registration(
    tenants, store, overrides, loc, words
):
    # GIVEN overrides that the worker's merge refuses (as it does for every later audit)
    group = GroupRegistration.model_validate(registration(policy_overrides=overrides))
    with pytest.raises(InputError):
        worker._policies({}, group, ACME)
    # WHEN acme registers them
    status, body = call("POST", "/groups", registration(policy_overrides=overrides))
    # THEN 422 names the key under body.policy_overrides and why; nothing is stored
    assert status == 422, body
    assert body["error"] == "invalid group registration"
    assert body["details"][0]["loc"] == ["body", "policy_overrides", *loc]
    assert words in body["details"][0]["msg"]
    assert store.groups.list_groups(ACME) == []


def test_valid_overrides_are_stored_and_merged_by_the_worker(tenants, store):
    overrides = {"rules": {"inactive_member": {"inactive_days": 45}}}
    status, _ = call("POST", "/groups", registration(policy_overrides=overrides))
    stored = store.groups.get_group(ACME, "grp-new")
    assert status == 201
    assert stored.policy_overrides == overrides
    policy = worker._policies({}, stored, ACME).for_group("project", "grp-new")
    assert policy.rule("inactive_member").inactive_days == 45


# --- size ----------------------------------------------------------------------------------------


def test_a_registration_over_the_size_limit_is_413_naming_the_limit(tenants, store):
    # GIVEN a 900 KB registration (over DynamoDB's 400 KB item limit), correctly signed
    big = registration(name="n", exempt_member_ids=[f"u{n:06d}" for n in range(90_000)])
    raw = json.dumps(big).encode()
    assert len(raw) > 900_000
    # WHEN acme registers it
    status, body = call("POST", "/groups", raw)
    # THEN 413 says how large it was and the limit; nothing is stored
    assert status == 413
    assert body["error"] == "request body too large"
    assert body["details"] == [
        {
            "loc": ["body"],
            "msg": f"{len(raw)} bytes; a body may hold at most {MAX_REGISTRATION_BYTES} bytes",
            "type": "value_error",
        }
    ]
    assert store.groups.list_groups(ACME) == []


def test_an_unsigned_oversized_body_is_401(tenants, store):
    raw = json.dumps(registration(exempt_member_ids=["u"] * 40_000)).encode()
    status, body = call("POST", "/groups", raw, omit=("x-groupaudit-signature",))
    assert (status, body["error"]) == (401, "missing X-GroupAudit-Signature")


def test_a_registration_at_the_size_limit_is_stored(tenants, store):
    # GIVEN a registration padded to exactly the limit
    document = registration(name="")
    pad = MAX_REGISTRATION_BYTES - len(json.dumps(document, separators=(",", ":")).encode())
    raw = json.dumps({**document, "name": "n" * pad}, separators=(",", ":")).encode()
    assert len(raw) == MAX_REGISTRATION_BYTES
    # THEN it is stored whole
    assert call("POST", "/groups", raw)[0] == 201
    assert len(store.groups.get_group(ACME, "grp-new").name) == pad


# --- stored URLs listed masked ------------------------------------------------------------------


def test_credentials_in_urls_stored_before_the_fix_are_masked_when_listed(tenants, store):
    # GIVEN registrations stored before credentials in URLs were refused (straight into the store)
    store.groups.put_group(
        GroupRegistration.model_validate(
            registration(
                "grp-old",
                notice={
                    "type": "dingtalk",
                    "url": "https://bot:hunter2@oapi.dingtalk.com/robot/send?access_token=tok123",
                },
            )
        )
    )
    store.groups.put_group(
        GroupRegistration.model_validate(
            registration(
                "grp-feishu",
                platform="feishu",
                notice={
                    "type": "feishu",
                    "url": "https://open.feishu.cn/open-apis/bot/v2/hook/6f2e-uuid-secret",
                },
            )
        )
    )
    # WHEN acme lists its groups
    status, body = call("GET", "/groups")
    # THEN no credential is shown, the rest of the URL is
    text = json.dumps(body)
    assert status == 200
    for secret in ("hunter2", "bot:", "tok123", "6f2e-uuid-secret"):
        assert secret not in text
    urls = {g["group_id"]: g["notice"]["url"] for g in body["groups"]}
    assert urls == {
        "grp-feishu": "https://open.feishu.cn/open-apis/bot/v2/hook/***",
        "grp-old": "https://***@oapi.dingtalk.com/robot/send?access_token=***",
    }
    # AND what is stored is unchanged (the worker still delivers)
    assert "tok123" in str(store.groups.get_group(ACME, "grp-old").notice.url)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***",
        ),
        ("https://hooks.slack.com/services/T0/B0/xyz", "https://hooks.slack.com/services/***/***/***"),
        ("https://api.example.com/v1?page=2&token=t", "https://api.example.com/v1?page=2&token=***"),
        ("https://api.example.com/v1", "https://api.example.com/v1"),
    ],
)
def test_masked_url_hides_tokens_and_keeps_the_rest(url, masked):
    assert api.masked_url(url) == masked


# --- unknown tenants cost what known ones do ----------------------------------------------------


def test_an_unknown_tenant_runs_the_same_lookup_and_hmac_as_a_wrong_signature(tenants, monkeypatch, settings):
    # GIVEN a spy on the HMAC check and on the secret lookups
    verified: list[tuple[int, str]] = []
    real_verify = signing.verify

    def spy(secret: bytes, message: bytes, signature: str | None) -> None:
        verified.append((len(secret), message.decode().split("\n")[1]))
        real_verify(secret, message, signature)

    monkeypatch.setattr(signing, "verify", spy)
    calls: list[str] = []
    secrets = runtime.client("secretsmanager")
    secrets.meta.events.register(
        "provide-client-params.secrets-manager.GetSecretValue",
        lambda params, **_: calls.append(params["SecretId"]),
    )
    # WHEN acme (known) and initech (unknown) send wrongly signed requests, twice each
    answers = [
        call(
            "POST",
            "/audits",
            {"tenant_id": t, "group_id": "all"},
            tenant=t,
            secret=b"wrong",
            timestamp=str(ts),
        )
        for t in (ACME, INITECH)
        for ts in (int(time.time()), int(time.time()) + 1)
    ]
    # THEN the same answer for both ...
    assert {(status, body["error"]) for status, body in answers} == {(401, api._NOT_VERIFIED)}
    # ... after the same work: one HMAC check over a 32-byte-or-longer key per request
    assert [method for _, method in verified] == ["POST"] * 4
    assert all(length >= 15 for length, _ in verified)
    # ... and one Secrets Manager lookup per tenant: the missing secret is cached like a found one
    names = [api.tenant_secret_name(settings, t) for t in (ACME, INITECH)]
    assert sorted(calls) == sorted(names)


def test_the_wildcard_tenant_all_is_never_verified_even_with_a_secret(tenants, settings):
    runtime.client("secretsmanager").create_secret(
        Name=api.tenant_secret_name(settings, "all"), SecretString="all-secret"
    )
    status, body = call(
        "POST", "/audits", {"tenant_id": "all", "group_id": "all"}, tenant="all", secret=b"all-secret"
    )
    assert (status, body["error"]) == (401, api._NOT_VERIFIED)


# --- reply cycles and unknown mentions ----------------------------------------------------------


def _with_messages(*changes: dict) -> bytes:
    document = json.loads(json.dumps(SALES))
    for index, change in enumerate(changes):
        document["messages"][index].update(change)
    return json.dumps(document, ensure_ascii=False).encode()


def test_a_reply_cycle_is_an_input_error_naming_the_messages():
    first, second = SALES["messages"][0]["id"], SALES["messages"][1]["id"]
    with pytest.raises(InputError) as raised:
        decode_snapshot(_with_messages({"reply_to_id": second}, {"reply_to_id": first}), "s.json")
    [problem] = raised.value.problems
    assert (problem.path, problem.record_id) == ("messages[0].reply_to_id", first)
    assert problem.message.startswith(f"replies form a cycle: {first} → {second} → {first}")


def test_a_self_reply_is_an_input_error():
    first = SALES["messages"][0]["id"]
    with pytest.raises(InputError) as raised:
        decode_snapshot(_with_messages({"reply_to_id": first}), "s.json")
    assert [str(p) for p in raised.value.problems] == [
        f"messages[0].reply_to_id (id '{first}'): the message replies to itself (reply_to_id is its own id)"
    ]


def test_a_reply_to_a_message_outside_the_snapshot_is_tolerated():
    snapshot = decode_snapshot(_with_messages({"reply_to_id": "m-before-messages-since"}), "s.json")
    assert snapshot.messages is not None
    assert snapshot.messages[0].reply_to_id == "m-before-messages-since"


def test_a_mention_of_someone_not_a_member_charges_nobody(tmp_path: Path):
    # GIVEN a question to an @-mentioned id that is no member of the group, days unanswered
    policies = load_policy(TENANT / "policy.yaml")
    asker = SALES["members"][1]["id"]
    question = {
        "sender_id": asker,
        "text": "@王五 明天上午能把报表发我吗？",
        "mentions": ["u-ghost"],
        "type": "text",
        "reply_to_id": None,
        "thread_id": None,
    }
    snapshot = decode_snapshot(_with_messages(question), "s.json")
    later = snapshot.taken_at + timedelta(days=3)
    report = audit_snapshot(snapshot, policies=policies, now=later)
    # THEN no finding names the unknown id, and none comes from that question
    assert all(f.subject_id != "u-ghost" for f in report.findings)
    assert [f for f in report.findings if f.message_id == SALES["messages"][0]["id"]] == []
    # AND the same question to a member does charge that member (the rule is live)
    member = SALES["members"][2]["id"]
    addressed = decode_snapshot(_with_messages({**question, "mentions": [member]}), "s.json")
    charged = audit_snapshot(addressed, policies=policies, now=later)
    assert [f.subject_id for f in charged.findings if f.message_id == SALES["messages"][0]["id"]] == [member]


# --- pull --now ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "words"),
    [
        ("2999-01-01T00:00:00+00:00", "a snapshot cannot be taken in the future"),
        ("9999-12-31T23:59:59+08:00", "outside the supported audit times"),
        ("0001-01-01T00:00:00-08:00", "outside the supported audit times"),
    ],
)
def test_pull_refuses_a_now_in_the_future_or_off_the_calendar(capsys, tmp_path, now, words):
    # GIVEN a pull whose --now (the snapshot's taken_at) is in the future or off the calendar
    # WHEN it is run (no credentials needed: it is refused first)
    out = tmp_path / "never-written.json"
    status = main(["pull", "slack", "C0123ABCD", "--now", now, "--out", str(out)])
    captured = capsys.readouterr()
    # THEN exit 2 naming --now, and nothing pulled or written
    assert status == EXIT_INVALID
    assert "  - --now: " in captured.err and words in captured.err
    assert not out.exists()


def test_pull_takes_a_now_in_the_past(monkeypatch, capsys, tmp_path):
    # GIVEN --now a week ago: accepted, the pull goes on to ask for credentials
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    out = str(tmp_path / "s.json")
    status = main(["pull", "slack", "C0123ABCD", "--now", "2026-11-20T18:00:00+08:00", "--out", out])
    err = capsys.readouterr().err
    assert "--now" not in err
    assert status == EXIT_INVALID and "SLACK_BOT_TOKEN" in err
