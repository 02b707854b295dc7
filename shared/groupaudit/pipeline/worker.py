"""Audit one group: pull its snapshot, run the engine, keep the findings, queue one notice.

The snapshot is an object in S3, or is pulled from the group's chat platform (see
:mod:`groupaudit.connectors`). A pull reads everything before anything is audited: a platform
error half-way fails the run, never audits half a group.

A bad input (missing or malformed snapshot, a snapshot ``taken_at`` in the future or outside
the supported audit times, a document nested too deeply, invalid policy or directory, a
platform refusing the pull: bad credentials, no permission, unknown chat, an address the
functions may not call) is not retried: the run is recorded as failed with the reason (the
platform's own code and message) and the stored findings are left as they were. A platform
that is rate limiting or unavailable, and a findings write DynamoDB cancelled for any reason
but a newer audit (a transaction conflict, throttling), are retried through SQS while receives
remain, and recorded as failed on the last one. Anything else (throttling, a network error to
AWS) raises, so SQS retries the message and, after the last attempt, moves it to the DLQ.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import msgspec
import yaml

from groupaudit import audittime, netguard
from groupaudit.adapters import s3
from groupaudit.adapters.storage import Storage
from groupaudit.adapters.storage.dynamo import StaleAudit, StoreConflict, Table
from groupaudit.adapters.storage.findings import StoredFinding
from groupaudit.connectors.base import IdMap
from groupaudit.connectors.http import PlatformError
from groupaudit.contracts import Directory, Finding, Report, Snapshot
from groupaudit.errors import InputError, Problem
from groupaudit.loading import decode_directory, decode_json, decode_snapshot, load_yaml
from groupaudit.pipeline import supervision_contact, tenantpass
from groupaudit.policy import PolicySet, deep_merge, parse_policy
from groupaudit.render import render_json, render_notice
from groupaudit.rules import messages_lookback_days
from groupaudit.rules.documents import importance
from groupaudit.service import audit_snapshot
from groupaudit.settings import Settings
from groupaudit.supervision.report import record_audit
from groupaudit.supervision.service import record_findings
from groupaudit.wire import AuditMessage, GroupRegistration, NoticeMessage


@dataclass
class WorkerDeps:
    settings: Settings
    store: Storage
    s3: Any
    sqs: Any
    clock: Callable[[], datetime]
    # A secret's value by name under SECRETS_PREFIX (the platform sources' app credentials).
    secret: Callable[[str], bytes] | None = None
    # Tenant inputs read once per invocation: (directory, policy file data) by tenant.
    tenant_inputs: dict[str, tuple[Directory | None, dict[str, Any]]] = field(default_factory=dict)
    id_maps: dict[str, Any] = field(default_factory=dict)  # idmap.json documents by tenant
    # Keyword arguments for the sources' Http (tests pass a recording ``sleep``).
    http_options: dict[str, Any] = field(default_factory=dict)
    # What platform calls may reach: public https only, unless the local stack allows its peers
    network: netguard.Network = netguard.PUBLIC
    # time.monotonic() by which this invocation must be done with a record (the handler sets it
    # from the Lambda context); a pull stops, retryable, rather than run past it
    deadline: float | None = None
    records_started: int = 0
    # Powertools Idempotency around each group's audit (the deployed worker): two deliveries
    # of one message at the same time cannot both audit, and a later one gets the outcome
    idempotent: bool = False


@dataclass(frozen=True)
class RunOutcome:
    status: str  # succeeded | failed | skipped | duplicate
    findings: int = 0
    notice: str = "none"
    error: str | None = None


# Idempotency records: in the table, under one partition of their own, kept a day (longer than
# SQS keeps redelivering a message; a later delivery still finds the recorded run).
IDEMPOTENCY_PK = "IDEMPOTENCY#audit_group"
IDEMPOTENCY_TTL_S = 24 * 3600
# An audit in progress holds its group until the invocation's deadline plus this (the handler's
# reserve for recording): after it, the invocation is dead and a redelivery takes over.
IN_PROGRESS_GRACE_S = 15.0


def audit_group(message: AuditMessage, deps: WorkerDeps, *, receive_count: int = 1) -> RunOutcome:
    """Audits one group; ``receive_count`` is how often SQS has delivered this message (a
    platform that is rate limiting or down is retried while receives remain).

    With ``deps.idempotent`` the audit runs once per (tenant, group, audit id) under Powertools
    Idempotency: a delivery while another is auditing the group raises
    ``IdempotencyAlreadyInProgressError`` (the record goes back to SQS), one after it returns
    the recorded outcome. An audit that raises releases its claim, so SQS's retry audits."""
    if not deps.idempotent:
        return _audit_group(message, deps, receive_count)
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.serialization.dataclass import DataclassSerializer

    config = IdempotencyConfig(
        event_key_jmespath="[tenant_id, group_id, audit_id]",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=IDEMPOTENCY_TTL_S,
    )
    if deps.deadline is not None:
        # _Remaining has the one method the idempotency utility reads of a LambdaContext
        config.register_lambda_context(_Remaining(deps.deadline + IN_PROGRESS_GRACE_S))  # type: ignore[arg-type]

    once = idempotent_function(
        data_keyword_argument="audit",
        config=config,
        persistence_store=_idempotency_records(deps.store),
        output_serializer=DataclassSerializer(RunOutcome),
    )(_audit_once)
    audit = message.model_dump(mode="json")
    return once(audit=audit, message=message, deps=deps, receive_count=receive_count)


def _audit_once(
    audit: dict[str, Any], *, message: AuditMessage, deps: WorkerDeps, receive_count: int
) -> RunOutcome:
    """The audit under its idempotency record (``audit`` is the message as the key reads it)."""
    return _audit_group(message, deps, receive_count)


@dataclass(frozen=True)
class _Remaining:
    """What Powertools reads of a Lambda context: the time left until ``ends`` (monotonic)."""

    ends: float

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.ends - time.monotonic()) * 1000))


def _idempotency_records(store: Table) -> Any:
    """Powertools' DynamoDB persistence on the audit table (PK/SK, the table's TTL attribute
    ``expires_at``), through the store's retrying client. A claim released after a failure is
    expired in place rather than deleted (the worker deletes nothing)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    class ReleasingPersistence(DynamoDBPersistenceLayer):
        def _delete_record(self, data_record: Any) -> None:
            self.client.update_item(
                TableName=self.table_name,
                Key=self._get_key(data_record.idempotency_key),
                UpdateExpression="SET #expiry = :gone, #status = :expired",
                ExpressionAttributeNames={"#expiry": self.expiry_attr, "#status": self.status_attr},
                ExpressionAttributeValues={":gone": {"N": "0"}, ":expired": {"S": "EXPIRED"}},
            )

    return ReleasingPersistence(
        table_name=store.table,
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value=IDEMPOTENCY_PK,
        expiry_attr="expires_at",
        boto3_client=store.client,
    )


def _audit_group(message: AuditMessage, deps: WorkerDeps, receive_count: int) -> RunOutcome:
    started = time.monotonic()
    tenant, group, audit_id = message.tenant_id, message.group_id, message.audit_id
    store = deps.store
    if store.runs.run(tenant, group, audit_id) is not None:
        _tenant_pass(tenant, audit_id, deps)  # takes over a pass that died after the last group
        return RunOutcome("duplicate")  # SQS delivered it again after the run was recorded

    def finish(status: str, *, error: str | None = None, **fields: Any) -> RunOutcome:
        run = {
            "status": status,
            "finished_at": deps.clock().isoformat(),
            "duration_ms": (time.monotonic() - started) * 1000,
            "error": error,
            **fields,
        }
        store.runs.finish_run(tenant, group, audit_id, run)
        _tenant_pass(tenant, audit_id, deps)  # when this was the run's last group
        return RunOutcome(status, fields.get("findings", 0), fields.get("notice", "none"), error)

    registration = store.groups.get_group(tenant, group)
    if registration is None or not registration.enabled:
        return finish("failed", error=f"group {group} is not registered (or disabled) for tenant {tenant}")
    try:
        directory, policy_data = _tenant_inputs(tenant, deps)
        policies = _policies(policy_data, registration, tenant)
        ids = _id_map(tenant, registration.platform, deps)
        snapshot, pulled = _snapshot(registration, deps, ids, policies)
    except (InputError, s3.ObjectMissing) as exc:
        return finish("failed", error=_reason(exc))
    except PlatformError as exc:
        if exc.retryable and receive_count < deps.settings.max_receive_count:
            raise  # SQS delivers it again after the visibility timeout
        return finish("failed", error=str(exc))

    audited_at = snapshot.taken_at
    # stored audit times after this came from snapshots "taken" in the future: never newer
    latest_valid = deps.clock() + audittime.CLOCK_SKEW
    try:
        store.guard.begin_group_audit(tenant, group, audited_at, latest_valid)
    except StaleAudit as exc:
        return finish("skipped", error=str(exc), snapshot_taken_at=audited_at.isoformat())
    stored = store.findings.stored_findings(tenant, group)
    first_notified = {
        fid: datetime.fromisoformat(item.first_notified_at)
        for fid, item in stored.items()
        if item.first_notified_at
    }
    backups = None
    if deps.settings.backup_bucket:
        candidates = _backup_candidates(snapshot, policies)
        backups = s3.s3_backup_index(deps.settings.backup_bucket, tenant, candidates, deps.s3)
    report = audit_snapshot(
        snapshot,
        policies=policies,
        directory=directory,
        backups=backups,
        lang=registration.notice.lang,
        fetch_hashes=False,  # never fetch URLs out of a snapshot inside the pipeline (SSRF)
        first_notified=first_notified,
        audit_id=audit_id,
    )
    if deps.settings.report_bucket:
        key = f"reports/{tenant}/{group}/{audit_id}.json"
        s3.put_json(deps.settings.report_bucket, key, render_json(report), deps.s3)
    try:
        own = tenantpass.group_owned(stored)  # the tenant pass's findings are its own to resolve
        sync = store.findings.sync_findings(
            tenant, group, audit_id, audited_at, report.findings, own, latest_valid
        )
    except StaleAudit as exc:
        return finish("skipped", error=str(exc), snapshot_taken_at=audited_at.isoformat())
    except StoreConflict as exc:
        if receive_count < deps.settings.max_receive_count:
            raise  # SQS delivers it again; the batches already written are written again, the same
        return finish("failed", error=str(exc), snapshot_taken_at=audited_at.isoformat())

    # the discipline ledger: entries for sanctioned findings, lapses for resolved ones (idempotent)
    record_findings(store, tenant, group, report.findings, sync.resolved, policies, directory, deps.clock())
    # the monthly report's rollup of the group's month (idempotent: a redelivery counts once)
    record_audit(store, snapshot, policies, directory, report.findings, audit_id, registration)
    tenantpass.record_membership(store, snapshot, audit_id)  # the tenant pass's index
    notice = _queue_notice(report, snapshot, registration, stored, deps, ids)
    supervision_contact.report_red_lines(snapshot, audit_id, report.findings, _supervision(deps))
    counts = {
        "by_rule": dict(Counter(f.rule for f in report.findings)),
        "by_severity": dict(Counter(f.severity for f in report.findings)),
        "new": len(sync.new) + len(sync.reopened),
        "resolved": len(sync.resolved),
        "rules_run": report.rules_run,
        "rules_skipped": [{"rule": s.rule, "reason": s.reason} for s in report.rules_skipped],
    }
    return finish(
        "succeeded",
        pull=pulled,
        findings=len(report.findings),
        counts=counts,
        notice=notice,
        snapshot_taken_at=audited_at.isoformat(),
        audited_at=audited_at.isoformat(),
    )


def _snapshot(
    registration: GroupRegistration, deps: WorkerDeps, ids: IdMap, policies: PolicySet
) -> tuple[Snapshot, str | None]:
    """The group's snapshot, and how it was pulled (``full``, ``incremental``; None for S3)."""
    if registration.source.type != "s3":
        return _pull(registration, deps, ids, lookback_days(registration, policies))
    key = registration.snapshot_key()
    source = f"s3://{deps.settings.snapshot_bucket}/{key}"
    snapshot = decode_snapshot(s3.get_bytes(deps.settings.snapshot_bucket, key, deps.s3), source)
    audittime.check_taken_at(snapshot, deps.clock(), source)  # never the latest from the future
    if snapshot.group.id != registration.group_id or snapshot.tenant != registration.tenant_id:
        raise InputError(
            source,
            [
                Problem(
                    "group.id",
                    f"snapshot is of {snapshot.tenant}/{snapshot.group.id}, "
                    f"registered as {registration.tenant_id}/{registration.group_id}",
                )
            ],
        )
    return snapshot, None


def lookback_days(registration: GroupRegistration, policies: PolicySet) -> int:
    """How many days of messages a pull reads. Inactivity and file staleness look back
    ``inactive_days`` and ``stale_file_days`` (each rule's ``lookback_days`` in the registry): a
    shorter window would make everyone silent before it look inactive, so the window is never
    shorter than the longest of them plus a day; by default it is twice that (files are often
    only seen in the messages sharing them)."""
    policy = policies.for_group(registration.kind, registration.group_id)
    needed = messages_lookback_days(policy)
    wanted = registration.source.lookback_days or 2 * needed
    return max(wanted, needed + 1)


def _pull(registration: GroupRegistration, deps: WorkerDeps, ids: IdMap, days: int) -> tuple[Snapshot, str]:
    """Pulls the group from its platform (DingTalk and WeCom messages from the dropped
    records; Slack and Feishu only what is new since the pull state in ``pulls/``)."""
    from groupaudit.connectors import incremental
    from groupaudit.connectors.base import NoDrops, PullRequest, S3Drops

    source = registration.source
    platform = source.type
    assert source.secret_name is not None  # the model requires it for platform sources
    now = deps.clock()
    drops = (
        S3Drops(deps.settings.snapshot_bucket, registration.drop_prefix(), deps.s3)
        if platform in ("dingtalk", "wecom")
        else NoDrops()
    )
    request = PullRequest(
        platform=platform,
        tenant_id=registration.tenant_id,
        group_id=registration.group_id,
        chat_id=source.chat_id or registration.group_id,
        taken_at=now,
        since=now - timedelta(days=days),
        credentials=_credentials(source.secret_name, platform, deps),
        base_url=str(source.base_url).rstrip("/") if source.base_url else None,
        kind=registration.kind,
        name=registration.name,
        variant=source.variant,
        ids=ids,
        drops=drops,
    )
    http = request.http(**{"deadline": deps.deadline, "network": deps.network, **deps.http_options})
    bucket = deps.settings.snapshot_bucket
    state_key = f"pulls/{registration.tenant_id}/{registration.group_id}.json"
    keeps_state = platform in incremental.INCREMENTAL_PLATFORMS
    state = (
        incremental.decode_state(s3.get_optional_bytes(bucket, state_key, deps.s3)) if keeps_state else None
    )
    snapshot, new_state, was_incremental = incremental.pull(request, http, state)
    if keeps_state:
        s3.put_json(bucket, state_key, incremental.encode_state(new_state), deps.s3)
    # what the platform cannot say about its group comes from the registration
    known = {
        "department": registration.department,
        "exempt_member_ids": registration.exempt_member_ids or None,
        "allowed_external_ids": registration.allowed_external_ids or None,
    }
    given = {name: value for name, value in known.items() if value is not None}
    if given:
        snapshot = msgspec.structs.replace(snapshot, group=msgspec.structs.replace(snapshot.group, **given))
    return snapshot, "incremental" if was_incremental else "full"


def _credentials(name: str, platform: str, deps: WorkerDeps) -> dict[str, str]:
    """The app credentials: a JSON object of strings. The secret's value never appears in an
    error, only its name."""
    from groupaudit.connectors.base import CREDENTIAL_KEYS

    where = f"secret {deps.settings.secrets_prefix}{name}"
    if deps.secret is None:
        raise InputError(where, [Problem("", "no secret store configured for platform sources")])
    try:
        raw = deps.secret(name)
    except Exception as exc:
        from groupaudit.adapters.secrets import secret_missing

        if secret_missing(exc):
            raise InputError(where, [Problem("", "no such secret")]) from None
        raise  # throttled or unreachable: SQS retries
    try:
        value = decode_json(raw, where)
    except InputError:
        value = None  # said below, without quoting the secret
    keys = ", ".join(CREDENTIAL_KEYS[platform])
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InputError(where, [Problem("", f"expected a JSON object of strings with {keys}")])
    missing = [key for key in CREDENTIAL_KEYS[platform] if not value.get(key)]
    if missing:
        raise InputError(where, [Problem("", f"missing {', '.join(missing)} (expected {keys})")])
    return value


def _id_map(tenant: str, platform: str, deps: WorkerDeps) -> IdMap:
    """The tenant's platform id -> directory id map (``tenants/{tenant}/idmap.json``, read
    once per invocation for all platforms)."""
    bucket = deps.settings.snapshot_bucket
    where = f"s3://{bucket}/tenants/{tenant}/idmap.json"
    if tenant not in deps.id_maps:
        data = s3.get_optional_bytes(bucket, f"tenants/{tenant}/idmap.json", deps.s3)
        deps.id_maps[tenant] = decode_json(data, where, "the id map") if data is not None else None
    return IdMap.from_document(deps.id_maps[tenant], platform, where)


def _tenant_inputs(tenant: str, deps: WorkerDeps) -> tuple[Directory | None, dict[str, Any]]:
    cached = deps.tenant_inputs.get(tenant)
    if cached is not None:
        return cached
    bucket = deps.settings.snapshot_bucket
    directory_bytes = s3.get_optional_bytes(bucket, f"tenants/{tenant}/directory.json", deps.s3)
    directory = (
        decode_directory(directory_bytes, f"s3://{bucket}/tenants/{tenant}/directory.json")
        if directory_bytes is not None
        else None
    )
    policy_source = f"s3://{bucket}/tenants/{tenant}/policy.yaml"
    policy_bytes = s3.get_optional_bytes(bucket, f"tenants/{tenant}/policy.yaml", deps.s3)
    try:
        policy_data = load_yaml(policy_bytes.decode("utf-8"), policy_source) if policy_bytes else {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(policy_source, [Problem("", f"invalid policy file: {exc}")]) from None
    if not isinstance(policy_data, dict):
        raise InputError(policy_source, [Problem("", "expected a mapping at the top level")])
    policy_data["_source"] = policy_source
    deps.tenant_inputs[tenant] = (directory, policy_data)
    return directory, policy_data


def _tenant_pass(tenant: str, audit_id: str, deps: WorkerDeps) -> None:
    """The tenant-wide rules over the membership index, once the run's last group is recorded
    (``pipeline/tenantpass.py``): each group under its effective policy (the registration's
    overrides on top), its findings told to the group's owner through the notice queue."""

    def inputs() -> tenantpass.PassInputs:
        directory, policy_data = _tenant_inputs(tenant, deps)
        tenant_policy = _policies(policy_data, None, tenant)  # checked once for the whole pass

        def policies(registration: GroupRegistration | None) -> PolicySet:
            return tenant_policy if registration is None else _policies(policy_data, registration, tenant)

        def platform_id(platform: str, member_id: str) -> str:
            return _id_map(tenant, platform, deps).platform_id(member_id)

        return tenantpass.PassInputs(directory=directory, policies=policies, platform_id=platform_id)

    def send(message: NoticeMessage) -> None:
        deps.sqs.send_message(QueueUrl=deps.settings.notice_queue_url, MessageBody=message.model_dump_json())

    notices = tenantpass.PassNotices(
        send=send, renotify_days=deps.settings.renotify_days, top=deps.settings.notice_top
    )
    try:
        tenantpass.after_run(deps.store, tenant, audit_id, inputs, deps.clock(), notices)
    except InputError:
        return  # an unreadable directory, policy or id map: the runs record it, nothing to pass over


def _policies(policy_data: dict[str, Any], registration: GroupRegistration | None, tenant: str) -> PolicySet:
    """The tenant's policy file with the registry's overrides as the group's top layer."""
    data = {key: value for key, value in policy_data.items() if key != "_source"}
    if registration is None:
        return parse_policy(data, policy_data.get("_source", f"policy of {tenant}"))
    groups = dict(data.get("groups") or {})
    groups[registration.group_id] = deep_merge(
        groups.get(registration.group_id, {}), registration.policy_overrides
    )
    data["groups"] = groups
    return parse_policy(data, policy_data.get("_source", f"policy of {tenant}"))


def _backup_candidates(snapshot: Snapshot, policies: PolicySet) -> set[str]:
    config = policies.for_group(snapshot.group.kind, snapshot.group.id).files
    return {f.sha256 for f in snapshot.files or () if f.sha256 and importance(f, config)}


def _due_for_notice(
    finding: Finding, stored: dict[str, StoredFinding], now: datetime, renotify: float
) -> bool:
    previous = stored.get(finding.id)
    if previous is not None and previous.overturned_at:
        return False  # an appeal overturned it: the supervision team found it false
    if previous is None or not previous.notified_at or previous.status == "resolved":
        return True
    return now - datetime.fromisoformat(previous.notified_at) >= timedelta(days=renotify)


def _queue_notice(
    report: Report,
    snapshot: Snapshot,
    registration: GroupRegistration,
    stored: dict[str, StoredFinding],
    deps: WorkerDeps,
    ids: IdMap,
) -> str:
    now = deps.clock()
    due = [f for f in report.findings if _due_for_notice(f, stored, now, deps.settings.renotify_days)]
    see_more = f"GET /groups/{registration.group_id}/findings?status=open"
    notice = render_notice(
        report, snapshot, registration.notice.lang, deps.settings.notice_top, items=due, see_more=see_more
    )
    if notice is None:
        return "none"
    body = NoticeMessage(
        tenant_id=registration.tenant_id,
        group_id=registration.group_id,
        audit_id=report.audit_id,
        platform=registration.platform,
        channel=registration.notice,
        text=notice.text,
        # people are mentioned by the ids their platform knows them by
        mention_ids=[ids.platform_id(member_id) for member_id in notice.mention_ids],
        findings=list(notice.findings),
        created_at=now,
    )
    deps.sqs.send_message(QueueUrl=deps.settings.notice_queue_url, MessageBody=body.model_dump_json())
    return f"queued ({len(notice.findings)} finding(s))"


def _supervision(deps: WorkerDeps) -> supervision_contact.SupervisionDeps:
    """Red lines go to the tenant's supervision contact through the notice queue."""
    return supervision_contact.SupervisionDeps.on_queue(
        deps.store, deps.sqs, deps.settings.notice_queue_url, deps.clock
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, InputError):
        return json.dumps(
            {"source": exc.source, "problems": [str(p) for p in exc.problems[:10]]}, ensure_ascii=False
        )
    return str(exc)
