"""The worker pulling groups from their platforms (loopback peers over real HTTP, moto for AWS):
a whole pull is audited, a pull that fails half-way fails the run and keeps what was stored,
a platform that rate limits is retried through SQS, credentials never leak."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from groupaudit import netguard
from groupaudit.connectors import incremental
from groupaudit.connectors.base import IdMap, PullRequest, pull_snapshot
from groupaudit.connectors.http import PlatformError
from groupaudit.loading import load_snapshot
from groupaudit.local.peers import wecom as wecom_peer
from groupaudit.local.peers.feishu import FeishuPeer, feishu_error, open_id_of, rate_limited
from groupaudit.pipeline import runtime
from groupaudit.pipeline.worker import WorkerDeps, audit_group
from groupaudit.wire import AuditMessage, GroupRegistration
from kit import TENANT

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # = 18:00 in Shanghai, the samples' taken_at
RD = load_snapshot(TENANT / "snapshots" / "rd.json")
VIP = load_snapshot(TENANT / "snapshots" / "operations-vip.json")


def _rd_open_ids() -> dict[str, str]:
    """grp-rd's people (not its bots): Feishu open id -> directory id."""
    assert RD.members is not None
    return {open_id_of(m.id): m.id for m in RD.members if not m.is_bot}


def _deps(settings, store, s3, sqs, waits: list[float], now: datetime = NOW) -> WorkerDeps:
    return WorkerDeps(
        settings=settings,
        store=store,
        s3=s3,
        sqs=sqs,
        clock=lambda: now,
        secret=lambda name: runtime.secret(settings, name),
        http_options={"sleep": waits.append},
        network=netguard.LOCAL_PEERS,  # the platforms' loopback peers
    )


def _message(group: str) -> AuditMessage:
    return AuditMessage(
        tenant_id="acme", group_id=group, audit_id=uuid.uuid4().hex, trigger="manual", requested_at=NOW
    )


def _open_findings(store, group: str) -> set[tuple[str, str]]:
    items, _ = store.findings.findings_page("acme", group, "open", 100, None)
    return {(item.rule, item.subject_id) for item in items}


@pytest.fixture
def feishu(seeded, store, s3, settings):
    """grp-rd registered to be pulled from a Feishu peer holding it, with open ids only (the
    tenant's app has no employee-id scope) and an id map back to the directory."""
    backup = (TENANT / "backups" / "服务器扩容方案 2026-11-13 赵敏.docx").read_bytes()
    with FeishuPeer.from_snapshot(RD, contents={"f-rd-scale": backup}, message_page_size=3) as peer:
        runtime.client("secretsmanager").create_secret(
            Name="groupaudit/tenants/acme/feishu-app",
            SecretString=json.dumps({"app_id": peer.app_id, "app_secret": peer.app_secret}),
        )
        idmap = {"feishu": _rd_open_ids()}
        s3.put_object(
            Bucket=settings.snapshot_bucket, Key="tenants/acme/idmap.json", Body=json.dumps(idmap).encode()
        )
        registration = next(r for r in seeded if r.group_id == "grp-rd")
        store.groups.put_group(
            GroupRegistration.model_validate(
                {
                    **registration.model_dump(exclude={"source"}),
                    "department": "研发部",
                    "source": {
                        "type": "feishu",
                        "chat_id": peer.chat_id,
                        "secret_name": "tenants/acme/feishu-app",
                        "variant": "open_id",
                        "base_url": peer.url,
                    },
                }
            )
        )
        yield peer


def test_a_group_pulled_from_feishu_is_audited_and_noticed_in_feishu_ids(feishu, settings, store, s3, sqs):
    # WHEN the worker audits grp-rd, pulled page by page from Feishu
    waits: list[float] = []
    outcome = audit_group(_message("grp-rd"), _deps(settings, store, s3, sqs, waits))
    # THEN it succeeded on the whole group: every message page was read
    assert outcome.status == "succeeded", outcome.error
    pages = feishu.requests("/open-apis/im/v1/messages")
    assert len(pages) >= 3 and pages[-1].arg("page_token")
    # AND the findings are those of the group (directory ids, through the id map); Feishu keeps
    # no file expiry, so the expired duty roster is the one finding it cannot show
    assert _open_findings(store, "grp-rd") == {
        ("overdue_reply", "u-zhou"),
        ("stale_file", "f-rd-api"),
        ("off_hours_post", "u-wu"),  # 21:30 on a weekday, not marked urgent
    }
    # AND the notice mentions people by the ids Feishu knows them by (open ids)
    (notice,) = [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=settings.notice_queue_url, MaxNumberOfMessages=10)["Messages"]
    ]
    assert notice["mention_ids"] and all(m.startswith("ou_") for m in notice["mention_ids"])
    assert open_id_of("u-zhou") in notice["mention_ids"]


def test_a_pull_failing_half_way_fails_the_run_and_keeps_the_stored_findings(
    feishu, settings, store, s3, sqs
):
    # GIVEN grp-rd audited once
    waits: list[float] = []
    assert audit_group(_message("grp-rd"), _deps(settings, store, s3, sqs, waits)).status == "succeeded"
    before = _open_findings(store, "grp-rd")
    # WHEN a day later Feishu refuses the second page of messages (the scope was withdrawn)
    served = len(feishu.requests("/open-apis/im/v1/messages"))
    feishu.fail_on(
        "/open-apis/im/v1/messages",
        feishu_error(99991672, "Access denied. One of the following scopes is required: [im:message]"),
        after=served + 1,
    )
    message = _message("grp-rd")
    outcome = audit_group(message, _deps(settings, store, s3, sqs, waits, NOW + timedelta(days=1)))
    # THEN the run failed with Feishu's code and message, naming no secret...
    assert outcome.status == "failed" and outcome.error is not None
    assert "99991672" in outcome.error and "im:message" in outcome.error
    run = store.runs.run("acme", "grp-rd", message.audit_id)
    assert run is not None and run.status == "failed" and run.error == outcome.error
    for secret in (feishu.app_secret, *feishu.tokens_issued):
        assert secret not in outcome.error
    # ... and nothing was audited from half a group: the stored findings are as they were
    assert _open_findings(store, "grp-rd") == before


def test_a_rate_limiting_platform_is_retried_by_sqs_then_recorded_on_the_last_receive(
    feishu, settings, store, s3, sqs
):
    # GIVEN Feishu answering "too many requests" to every members call
    feishu.script("/open-apis/im/v1/chats/" + feishu.chat_id + "/members", *[rate_limited(reset_s=1)] * 20)
    waits: list[float] = []
    message = _message("grp-rd")
    # WHEN the first receive of the message gives up after the HTTP layer's own retries
    with pytest.raises(PlatformError) as raised:
        audit_group(message, _deps(settings, store, s3, sqs, waits), receive_count=1)
    # THEN it raises (SQS delivers it again later) and no run is recorded yet
    assert raised.value.retryable is True
    assert waits and all(w == 1.0 for w in waits)
    assert store.runs.run("acme", "grp-rd", message.audit_id) is None
    # AND on the last receive the run is recorded as failed, with the platform's answer
    last = settings.max_receive_count
    outcome = audit_group(message, _deps(settings, store, s3, sqs, waits), receive_count=last)
    assert outcome.status == "failed" and outcome.error is not None
    assert outcome.error.startswith("feishu: GET /open-apis/im/v1/chats/")
    assert "rate limited" in outcome.error


def test_wrong_credentials_fail_the_run_with_the_platforms_message_only(feishu, settings, store, s3, sqs):
    # GIVEN the stored app secret was rotated on Feishu's side
    runtime.client("secretsmanager").put_secret_value(
        SecretId="groupaudit/tenants/acme/feishu-app",
        SecretString=json.dumps({"app_id": feishu.app_id, "app_secret": "an-old-secret-value"}),
    )
    runtime.reset()  # a new container: the cached secret is gone
    # WHEN the worker audits grp-rd
    outcome = audit_group(_message("grp-rd"), _deps(settings, store, s3, sqs, []))
    # THEN the run failed, saying so, without the secret
    assert outcome.status == "failed" and outcome.error is not None
    assert outcome.error.startswith("feishu: ") and "an-old-secret-value" not in outcome.error


def test_a_malformed_credentials_secret_is_named_not_shown(feishu, settings, store, s3, sqs):
    runtime.client("secretsmanager").put_secret_value(
        SecretId="groupaudit/tenants/acme/feishu-app", SecretString="app_secret=hunter2"
    )
    runtime.reset()
    outcome = audit_group(_message("grp-rd"), _deps(settings, store, s3, sqs, []))
    assert outcome.status == "failed" and outcome.error is not None
    assert json.loads(outcome.error) == {
        "source": "secret groupaudit/tenants/acme/feishu-app",
        "problems": ["(document): expected a JSON object of strings with app_id, app_secret"],
    }


@pytest.mark.parametrize("registered_exemptions", [False, True])
def test_a_wecom_group_is_pulled_with_its_archive_records_from_s3(
    seeded, settings, store, s3, sqs, registered_exemptions
):
    # GIVEN the VIP customer group in WeCom, its archive records dropped in S3, and the
    # registration (which may carry what WeCom cannot: who is exempt, which outsiders are approved)
    ids = wecom_peer.platform_ids(VIP)
    records = wecom_peer.archive_records(VIP)
    for number, start in enumerate(range(0, len(records), 2)):
        body = "\n".join(json.dumps(r, ensure_ascii=False) for r in records[start : start + 2])
        s3.put_object(
            Bucket=settings.snapshot_bucket,
            Key=f"drops/acme/grp-ops-vip/{number:04d}.jsonl",
            Body=body.encode(),
        )
    s3.put_object(
        Bucket=settings.snapshot_bucket,
        Key="tenants/acme/idmap.json",
        Body=json.dumps({"wecom": {w: m for m, w in ids.items() if w != m}}).encode(),
    )
    with wecom_peer.WeComPeer.from_snapshot(VIP) as peer:
        runtime.client("secretsmanager").create_secret(
            Name="groupaudit/tenants/acme/wecom-app", SecretString=json.dumps(peer.credentials())
        )
        registration = next(r for r in seeded if r.group_id == "grp-ops-vip")
        known = (
            {"exempt_member_ids": ["u-head-mkt"], "allowed_external_ids": ["ext-cust-1", "ext-cust-2"]}
            if registered_exemptions
            else {}
        )
        store.groups.put_group(
            GroupRegistration.model_validate(
                {
                    **registration.model_dump(exclude={"source"}),
                    **known,
                    # the drops hold 43 days of messages: a 30-day limit is what they can prove
                    "policy_overrides": {"rules": {"inactive_member": {"inactive_days": 30}}},
                    "source": {
                        "type": "wecom",
                        "secret_name": "tenants/acme/wecom-app",
                        "base_url": peer.url,
                    },
                }
            )
        )
        # WHEN the worker audits it
        outcome = audit_group(_message("grp-ops-vip"), _deps(settings, store, s3, sqs, []))
    # THEN members came from WeCom and messages from every dropped object
    assert outcome.status == "succeeded", outcome.error
    found = _open_findings(store, "grp-ops-vip")
    # AND the exempt owner is flagged as inactive only when the registration does not say so
    assert (("inactive_member", "u-head-mkt") in found) is not registered_exemptions


def test_a_registration_naming_a_missing_secret_fails_the_run_saying_so(feishu, settings, store, s3, sqs):
    runtime.client("secretsmanager").delete_secret(
        SecretId="groupaudit/tenants/acme/feishu-app", ForceDeleteWithoutRecovery=True
    )
    runtime.reset()
    outcome = audit_group(_message("grp-rd"), _deps(settings, store, s3, sqs, []))
    assert outcome.status == "failed" and outcome.error is not None
    assert json.loads(outcome.error) == {
        "source": "secret groupaudit/tenants/acme/feishu-app",
        "problems": ["(document): no such secret"],
    }


def test_a_feishu_group_is_pulled_whole_once_then_only_what_is_new(feishu, settings, store, s3, sqs):
    # GIVEN grp-rd with two months of older messages in Feishu
    qian = next(u for u in feishu.users if u.user_id == "u-qian")
    for day in range(3, 63):
        feishu.post(qian, "text", {"text": f"{day} 天前的进展"}, at=NOW - timedelta(days=day))
    path = "/open-apis/im/v1/messages"
    # WHEN it is audited, then a day later again, after one new message
    first = _message("grp-rd")
    assert audit_group(first, _deps(settings, store, s3, sqs, [])).status == "succeeded"
    whole = len(feishu.requests(path))
    downloads = [r for r in feishu.received if "/resources/" in r.path]
    later = NOW + timedelta(days=1)
    feishu.post(qian, "text", {"text": "今天的进展"}, at=later - timedelta(hours=1))
    second = _message("grp-rd")
    assert audit_group(second, _deps(settings, store, s3, sqs, [], later)).status == "succeeded"
    requests = feishu.requests(path)[whole:]
    # THEN the first pull read the whole window and the second only the days since, re-reading
    # the last 14 days of the first (start_time = the first pull's time - 14 days: Feishu shows
    # a thread only through its root)
    assert store.runs.run("acme", "grp-rd", first.audit_id).pull == "full"
    assert store.runs.run("acme", "grp-rd", second.audit_id).pull == "incremental"
    assert whole >= 20 and len(requests) <= whole // 3
    # AND files the first pull hashed were not downloaded again
    assert downloads and [r for r in feishu.received if "/resources/" in r.path] == downloads
    assert {r.arg("start_time") for r in requests} == {str(int((NOW - timedelta(days=14)).timestamp()))}
    # AND what it audited is exactly what a whole pull at that time reads
    state = incremental.decode_state(
        s3.get_object(Bucket=settings.snapshot_bucket, Key="pulls/acme/grp-rd.json")["Body"].read()
    )
    request = PullRequest(
        platform="feishu",
        tenant_id="acme",
        group_id="grp-rd",
        chat_id=feishu.chat_id,
        taken_at=later,
        since=later - timedelta(days=180),
        credentials={"app_id": feishu.app_id, "app_secret": feishu.app_secret},
        base_url=feishu.url,
        kind="department",
        name=RD.group.name,
        variant="open_id",
        ids=IdMap(_rd_open_ids()),
    )
    whole_now = pull_snapshot(request, request.http(sleep=lambda _: None))
    assert state is not None and whole_now.messages is not None
    assert state.snapshot.files is not None and whole_now.files is not None
    assert state.snapshot.messages == whole_now.messages
    assert sum("天前的进展" in (m.text or "") for m in whole_now.messages) == 60
    assert state.snapshot.members == whole_now.members
    assert sorted(state.snapshot.files, key=lambda f: f.id) == sorted(whole_now.files, key=lambda f: f.id)
    assert (state.covered_since, state.covered_until) == (request.since, later)


def test_a_pull_state_from_another_chat_or_id_map_is_not_built_on(feishu, settings, store, s3, sqs):
    # GIVEN a pull state, then the group's id map changes (people re-mapped)
    assert audit_group(_message("grp-rd"), _deps(settings, store, s3, sqs, [])).status == "succeeded"
    s3.put_object(
        Bucket=settings.snapshot_bucket,
        Key="tenants/acme/idmap.json",
        Body=json.dumps({"feishu": {open_id_of("u-qian"): "u-qian"}}).encode(),
    )
    # WHEN it is audited again (a new invocation reads the new map)
    message = _message("grp-rd")
    audit_group(message, _deps(settings, store, s3, sqs, [], NOW + timedelta(days=1)))
    # THEN the whole window was pulled again
    assert store.runs.run("acme", "grp-rd", message.audit_id).pull == "full"


def test_the_deployed_worker_never_calls_a_platform_registered_on_loopback(
    feishu, settings, store, s3, sqs, deployed_network
):
    # GIVEN grp-rd registered (from the command line, or before the rule) with a base_url on
    # loopback, and the worker as deployed
    # WHEN the worker audits it
    outcome = audit_group(_message("grp-rd"), runtime.worker_deps())
    # THEN the run failed for good, saying why, and the platform peer was never called
    assert outcome.status == "failed"
    assert outcome.error == (
        "feishu: POST /open-apis/auth/v3/tenant_access_token/internal refused: "
        "http:// is not called (public network: https:// only)"
    )
    assert feishu.received == []
