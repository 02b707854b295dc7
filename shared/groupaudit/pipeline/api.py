"""The HTTP API's operations, free of HTTP: authentication, on-demand audits, audit status,
findings and the group registry. ``groupaudit.api`` maps requests, validated, onto these and
their typed errors onto status codes (docs/API.md is the client's view).

Authentication (the contract is ``groupaudit.signing``): every request names its tenant in
``X-GroupAudit-Tenant`` and carries ``X-GroupAudit-Timestamp`` (unix seconds) and
``X-GroupAudit-Signature: sha256=<hex HMAC-SHA256>`` over
``"{timestamp}\\n{METHOD}\\n{path?query}\\n{body}"``, keyed by the tenant's secret
``{SECRETS_PREFIX}tenants/{tenant}/api``. The checks run cheapest first, so a malformed request
costs no Secrets Manager or DynamoDB call: headers present and well-formed, timestamp within
``SIGNATURE_TOLERANCE_S``, the tenant's secret, the HMAC; only then is the signature recorded as
used (a replay is refused), so unauthenticated garbage cannot fill the nonce table.
An unknown tenant and a wrong signature get the same answer (tenant ids are not enumerable).

Idempotency of ``POST /audits``: the audit id is derived from the tenant and the request's
idempotency key, the ``Idempotency-Key`` header if given, else the SHA-256 of the raw body.
So a retry (re-signed: a used signature is a replay) returns the same audit id and queues
nothing again, and without the header the *same body* always names the *same audit*: a
client that wants a fresh audit of the same target sends a new ``Idempotency-Key``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from groupaudit import netguard, signing
from groupaudit.adapters.storage import Storage
from groupaudit.adapters.storage.dynamo import BadCursor
from groupaudit.adapters.storage.limits import NONCE_TTL
from groupaudit.adapters.storage.runs import RunRecord
from groupaudit.errors import GroupAuditError, InputError
from groupaudit.loading import MAX_DEPTH, nested_deeper_than
from groupaudit.pipeline.fanout import FanOutDeps, fan_out
from groupaudit.settings import Settings
from groupaudit.wire import _ID as ID_PATTERN
from groupaudit.wire import MAX_REGISTRATION_BYTES, GroupRegistration

TENANT_HEADER = "X-GroupAudit-Tenant"
TIMESTAMP_HEADER = "X-GroupAudit-Timestamp"
SIGNATURE_HEADER = "X-GroupAudit-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # visible ASCII, as sent by common clients
ALL_GROUPS = "all"
FINDING_STATUSES = ("open", "resolved", "all")
MAX_PAGE = 200
DEFAULT_PAGE = 50

_SIGNATURE_VALUE = re.compile(r"^sha256=[0-9a-f]{64}$")
_AUDIT_ID = re.compile(r"^[0-9a-f]{32}$")
# The same words for an unknown tenant and a wrong signature: which tenants exist is not told.
_NOT_VERIFIED = "signature does not match (or the tenant has no API secret)"
# What a request without a tenant secret is checked against, so that it costs what a wrong
# signature of a known tenant costs (the same lookup, the same HMAC and compare): no timing tells
# which tenants exist. No signature matches it in practice (a random 256-bit key, per process).
_NO_SECRET = os.urandom(32)
# The largest body any route reads (a registration is the largest body there is).
MAX_BODY_BYTES = MAX_REGISTRATION_BYTES


def tenant_secret_name(settings: Settings, tenant: str) -> str:
    """The Secrets Manager name of a tenant's API signing secret."""
    return f"{settings.secrets_prefix}tenants/{tenant}/api"


# --- errors (groupaudit.api.errors maps each to one status code) ------------------------------


class ErrorDetail(BaseModel):
    """One problem with a request: where (``loc``: "body", "query", "header", then the field) and why."""

    loc: list[str | int]
    msg: str
    type: str


class ApiError(GroupAuditError):
    """A request this API refuses; ``message`` and ``details`` are safe to show the caller."""

    def __init__(self, message: str, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class Unauthorized(ApiError):
    """Missing, malformed, stale, wrong or replayed signature, or a tenant without a secret."""


class NotFound(ApiError):
    """The tenant has no such group or audit (another tenant's are never visible)."""


class InvalidRequest(ApiError):
    """The request is authenticated but its body, query or headers are invalid."""


class BadRequest(ApiError):
    """A request this API cannot interpret at all (a pagination cursor it did not issue)."""


class PayloadTooLarge(ApiError):
    """A body larger than ``MAX_BODY_BYTES``: refused before any parser reads it (after the
    signature is checked)."""


class BodyTooDeep(InvalidRequest):
    """A body nested deeper than ``MAX_DEPTH``: refused before any parser reads it (after the
    signature is checked, like every invalid request)."""


def _shallow(body: bytes) -> None:
    if nested_deeper_than(body, MAX_DEPTH):
        raise BodyTooDeep(
            "request body nested too deeply",
            [_detail(("body",), f"arrays and objects nest at most {MAX_DEPTH} levels deep")],
        )


def _small(body: bytes) -> None:
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(
            "request body too large",
            [_detail(("body",), f"{len(body)} bytes; a body may hold at most {MAX_BODY_BYTES} bytes")],
        )


def json_body(text: str) -> Any:
    """The request body as JSON, its size and nesting checked before it is parsed (the HTTP
    layer's body deserializer: it parses bodies before anything else runs)."""
    raw = text.encode("utf-8", "surrogatepass")
    _small(raw)
    _shallow(raw)
    return json.loads(text)


def _detail(loc: tuple[str | int, ...], msg: str, kind: str = "value_error") -> ErrorDetail:
    return ErrorDetail(loc=list(loc), msg=msg, type=kind)


def validation_details(errors: list[Any], prefix: tuple[str, ...] = ()) -> list[ErrorDetail]:
    """pydantic's errors as ErrorDetails: location and message, never the input (it may hold data)."""
    return [
        _detail((*prefix, *error.get("loc", ())), str(error.get("msg", "invalid")), str(error.get("type")))
        for error in errors
    ]


# --- the wire models (also the OpenAPI description's schemas) ---------------------------------


class AuditRequest(BaseModel):
    """Body of ``POST /audits``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: str = Field(pattern=ID_PATTERN, description="must equal X-GroupAudit-Tenant")
    group_id: str = Field(
        pattern=ID_PATTERN,
        description='a registered, enabled group of the tenant, or "all" (every enabled group)',
    )


class AuditAccepted(BaseModel):
    audit_id: str = Field(description="the same for a retried request")
    status_url: str = Field(description="GET it for the audit's progress")


class GroupRun(BaseModel):
    """One group of an audit: its run once the worker recorded it, else ``queued``."""

    group_id: str
    status: str = Field(
        description="queued (no run yet), succeeded, failed, or skipped (a newer audit of the group "
        "was stored first: done, not failed)"
    )
    findings: int | None = None
    counts: dict[str, Any] = Field(default_factory=dict, description="by rule, by severity, new, resolved")
    error: str | None = None
    finished_at: str | None = None
    duration_ms: int | None = None


AuditState = Literal["queued", "running", "succeeded", "failed", "partial"]


class AuditStatus(BaseModel):
    audit_id: str
    trigger: str
    requested_at: str
    status: AuditState = Field(
        description="queued: no group done; running: some done; succeeded: all done, none failed; "
        "failed: all done, all failed; partial: all done, some failed (a skipped group is done, "
        "not failed)"
    )
    groups_total: int
    groups_done: int = Field(description="groups with a recorded run: succeeded, failed or skipped")
    groups_failed: int
    groups_skipped: int = Field(
        0, description="groups whose run was skipped because a newer audit of the group was stored first"
    )
    findings_total: int
    runs: list[GroupRun]


class StoredFinding(BaseModel):
    finding_id: str
    rule: str
    kind: str | None = None
    severity: str
    subject_id: str
    status: str = Field(description="open or resolved")
    first_seen: str | None = None
    last_seen: str | None = None
    resolved_at: str | None = None
    notified_at: str | None = None
    last_audit_id: str | None = None
    finding: dict[str, Any] | None = Field(None, description="the finding as the audit reported it")


class FindingsPage(BaseModel):
    group_id: str
    status: Literal["open", "resolved", "all"]
    findings: list[StoredFinding]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


class GroupList(BaseModel):
    groups: list[GroupRegistration]


class ErrorBody(BaseModel):
    """Every 4xx answer of this API."""

    error: str
    details: list[ErrorDetail] = Field(default_factory=list)


# --- dependencies ------------------------------------------------------------------------------


@dataclass
class ApiDeps:
    store: Storage
    fanout: FanOutDeps
    settings: Settings
    clock: Callable[[], datetime]
    secret_for: Callable[[str], bytes | None]  # None: the tenant has no API secret


# --- authentication ----------------------------------------------------------------------------


def check_signature(
    deps: ApiDeps,
    tenant: str | None,
    method: str,
    path_with_query: str,
    body: bytes,
    headers: Mapping[str, str],
) -> str:
    """The verified tenant; ``Unauthorized`` otherwise. Records nothing (see ``authenticate``)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower())
    signature = lowered.get(SIGNATURE_HEADER.lower())
    if not tenant:
        raise Unauthorized(f"missing {TENANT_HEADER}")
    if not re.fullmatch(ID_PATTERN, tenant):
        raise Unauthorized(f"{TENANT_HEADER} is not a tenant id")
    try:
        signing.check_timestamp(timestamp, deps.clock().timestamp(), deps.settings.signature_tolerance_s)
    except signing.SignatureError as exc:
        raise Unauthorized(str(exc)) from None
    if not signature:
        raise Unauthorized(f"missing {SIGNATURE_HEADER}")
    if not _SIGNATURE_VALUE.fullmatch(signature):
        raise Unauthorized(f"{SIGNATURE_HEADER} must be sha256=<64 lowercase hex digits>")
    # An unknown tenant goes the known tenant's way: its secret is looked up (a missing one is
    # cached like a found one) and the HMAC computed and compared, against _NO_SECRET.
    found = deps.secret_for(tenant)
    known = found is not None and tenant != ALL_GROUPS  # "all" is fan-out's wildcard, never a tenant
    message = signing.request_message(str(timestamp), method, path_with_query, body)
    try:
        signing.verify(found if known and found is not None else _NO_SECRET, message, signature)
    except signing.SignatureError:
        raise Unauthorized(_NOT_VERIFIED) from None
    if not known:
        raise Unauthorized(_NOT_VERIFIED)
    return tenant


def authenticate(
    deps: ApiDeps,
    tenant: str | None,
    method: str,
    path_with_query: str,
    body: bytes,
    headers: Mapping[str, str],
) -> str:
    """``check_signature``; for requests that change state (POST, DELETE), also refuse a
    signature used before (a replay). A replayed read within the timestamp window returns
    what its signer could read anyway, so reads may be repeated (status polling)."""
    verified = check_signature(deps, tenant, method, path_with_query, body, headers)
    if method.upper() in ("GET", "HEAD"):
        return verified
    signature = {key.lower(): value for key, value in headers.items()}[SIGNATURE_HEADER.lower()]
    window = timedelta(seconds=2 * deps.settings.signature_tolerance_s)  # a timestamp is valid ±tolerance
    if not deps.store.limits.remember_signature(verified, signature, deps.clock(), max(window, NONCE_TTL)):
        raise Unauthorized("signature already used (replay); sign every request, retries too, anew")
    return verified


# --- on-demand audits --------------------------------------------------------------------------


def idempotency_key(header: str | None, body: bytes) -> str:
    """The key an audit id is derived from: the header if given, else the body's SHA-256."""
    if header is None:
        return "body:" + hashlib.sha256(body).hexdigest()
    if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, header):
        raise InvalidRequest(
            f"invalid {IDEMPOTENCY_HEADER}",
            [_detail(("header", IDEMPOTENCY_HEADER), "1 to 255 visible ASCII characters")],
        )
    return "key:" + header


def _same_tenant(tenant: str, named: str) -> None:
    if named != tenant:
        raise InvalidRequest(
            "tenant_id does not match the authenticated tenant",
            [_detail(("body", "tenant_id"), f"must equal {TENANT_HEADER}")],
        )


def request_audit(deps: ApiDeps, tenant: str, request: AuditRequest, key: str) -> tuple[str, bool]:
    """Queue an audit of one group or of every enabled group: (audit id, created).

    ``request`` is the validated body (the HTTP layer validated it, its size and nesting
    first), ``key`` its ``idempotency_key``. ``created`` is False when a previous request with
    the same idempotency key queued the audit already (nothing is queued again).
    """
    _same_tenant(tenant, request.tenant_id)
    if request.group_id == ALL_GROUPS:
        group_ids = None
        if not any(group.enabled for group in deps.store.groups.list_groups(tenant)):
            raise InvalidRequest(
                "nothing to audit", [_detail(("body", "group_id"), "the tenant has no enabled group")]
            )
    else:
        registration = deps.store.groups.get_group(tenant, request.group_id)
        if registration is None:
            raise NotFound(f"unknown group {request.group_id}")
        if not registration.enabled:
            raise InvalidRequest(
                "group is disabled",
                [_detail(("body", "group_id"), "enable the group (POST /groups) before auditing it")],
            )
        group_ids = [request.group_id]
    result = fan_out(deps.fanout, tenant_id=tenant, trigger="api", key=key, group_ids=group_ids)
    return result.audits[tenant], result.groups > 0


def audit_state(total: int, done: int, failed: int) -> AuditState:
    if done >= total:
        if failed == 0:
            return "succeeded"
        return "failed" if failed >= total else "partial"
    return "queued" if done == 0 else "running"


def audit_status(deps: ApiDeps, tenant: str, audit_id: str) -> AuditStatus:
    audit = deps.store.runs.audit(tenant, audit_id) if _AUDIT_ID.fullmatch(audit_id) else None
    if audit is None:
        raise NotFound(f"unknown audit {audit_id}")
    runs = {run.group_id: run for run in audit.runs}
    total, done, failed = audit.groups_total, audit.groups_done, audit.groups_failed
    return AuditStatus(
        audit_id=audit_id,
        trigger=audit.trigger,
        requested_at=audit.requested_at,
        status=audit_state(total, done, failed),
        groups_total=total,
        groups_done=done,
        groups_failed=failed,
        groups_skipped=audit.groups_skipped,
        findings_total=audit.findings_total,
        runs=[_group_run(group, runs.get(group)) for group in audit.groups],
    )


def _group_run(group: str, run: RunRecord | None) -> GroupRun:
    if run is None:
        return GroupRun(group_id=group, status="queued")
    return GroupRun(
        group_id=group,
        status=run.status,
        findings=run.findings,
        counts=run.counts,
        error=run.error,
        finished_at=run.finished_at,
        duration_ms=run.duration_ms,
    )


# --- findings ----------------------------------------------------------------------------------


def findings_page(
    deps: ApiDeps,
    tenant: str,
    group_id: str,
    status: str = "open",
    limit: int = DEFAULT_PAGE,
    cursor: str | None = None,
) -> FindingsPage:
    """One page of a registered group's findings; ``next_cursor`` continues, None at the end."""
    problems = []
    if status not in FINDING_STATUSES:
        problems.append(_detail(("query", "status"), f"one of {', '.join(FINDING_STATUSES)}"))
    if not 1 <= limit <= MAX_PAGE:
        problems.append(_detail(("query", "limit"), f"between 1 and {MAX_PAGE}"))
    if problems:
        raise InvalidRequest("invalid query", problems)
    _registered(deps, tenant, group_id)
    try:
        records, next_cursor = deps.store.findings.findings_page(
            tenant, group_id, None if status == "all" else status, limit, cursor or None
        )
    except BadCursor as exc:
        raise BadRequest("invalid cursor", [_detail(("query", "cursor"), str(exc))]) from exc
    return FindingsPage(
        group_id=group_id,
        status=status,  # checked above
        # the store keeps "-" for a finding without kind
        findings=[
            StoredFinding.model_validate({**msgspec.structs.asdict(record), "kind": _kind(record.kind)})
            for record in records
        ],
        next_cursor=next_cursor,
    )


def _kind(kind: str | None) -> str | None:
    return None if kind in (None, "-") else kind


# --- the group registry ------------------------------------------------------------------------


def _registered(deps: ApiDeps, tenant: str, group_id: str) -> GroupRegistration:
    registration = (
        deps.store.groups.get_group(tenant, group_id) if re.fullmatch(ID_PATTERN, group_id) else None
    )
    if registration is None:
        raise NotFound(f"unknown group {group_id}")
    return registration


def register_group(
    deps: ApiDeps, tenant: str, registration: GroupRegistration
) -> tuple[GroupRegistration, bool]:
    """Register or replace a group: (the registration, created). ``registration`` is the
    validated body (the HTTP layer validated it, its size and nesting first).

    A tenant's registration may only point at that tenant's objects: its snapshot key lies
    under ``snapshots/{tenant}/``, its dropped records under ``drops/{tenant}/`` and its
    secrets (webhook key, app credentials) under ``tenants/{tenant}/``, or a tenant could have
    another tenant's data audited, or its secret used, on its behalf. Its robot URL and API
    endpoint pass ``netguard.registration_problem``: ``https://`` a public host, port 443, no
    credentials in the URL; a tenant never makes the functions call their own network (the
    connect-time check in netguard holds that for the names' addresses and every redirect).
    """
    _same_tenant(tenant, registration.tenant_id)
    problems = overrides_problems(registration)
    if registration.group_id == ALL_GROUPS:
        problems.append(_detail(("body", "group_id"), f'"{ALL_GROUPS}" is reserved (POST /audits)'))
    snapshots = f"snapshots/{tenant}/"
    if registration.source.key is not None and not registration.source.key.startswith(snapshots):
        problems.append(_detail(("body", "source", "key"), f"must start with {snapshots}"))
    secrets = f"tenants/{tenant}/"
    for where, secret_name in (
        ("notice", registration.notice.secret_name),
        ("source", registration.source.secret_name),
    ):
        if secret_name is not None and not secret_name.startswith(secrets):
            problems.append(_detail(("body", where, "secret_name"), f"must start with {secrets}"))
    drops = f"drops/{tenant}/"
    if registration.source.drop_prefix is not None and not registration.source.drop_prefix.startswith(drops):
        problems.append(_detail(("body", "source", "drop_prefix"), f"must start with {drops}"))
    for where, url in (("notice", registration.notice.url), ("source", registration.source.base_url)):
        field = "url" if where == "notice" else "base_url"
        problem = netguard.registration_problem(str(url)) if url is not None else None
        if problem is not None:
            problems.append(_detail(("body", where, field), problem))
    if problems:
        raise InvalidRequest("invalid group registration", problems)
    created = deps.store.groups.get_group(tenant, registration.group_id) is None
    deps.store.groups.put_group(registration)
    return registration, created


def overrides_problems(registration: GroupRegistration) -> list[ErrorDetail]:
    """Why the registration's ``policy_overrides`` would make its audits fail, as details.

    They are checked the way the worker merges them: as the group's layer
    (``groups.<group id>``) of a policy, over the built-in defaults and profiles, then the
    effective policy of the group's kind. (The tenant's own policy file lives in S3 and may change
    after registration: a conflict with it fails the run, naming the key.)
    """
    if not registration.policy_overrides:
        return []
    from groupaudit.policy import parse_policy  # the rule registry: only registrations need it

    where = ("body", "policy_overrides")
    group = registration.group_id
    try:
        parse_policy({"groups": {group: registration.policy_overrides}}, "policy_overrides").for_group(
            registration.kind, group
        )
    except InputError as exc:
        prefix = f"groups.{group}."
        return [
            _detail(
                (*where, *filter(None, problem.path.removeprefix(prefix).split("."))),
                problem.message,
                "policy_error",
            )
            for problem in exc.problems
        ]
    except ValidationError as exc:
        return validation_details(exc.errors(), where)
    return []


# Query parameters of robot and webhook URLs that are credentials (DingTalk access_token, WeCom
# key, signatures); path segments after these are credentials too (Feishu/Lark and Slack hooks).
_SECRET_QUERY_KEYS = frozenset({"access_token", "token", "key", "secret", "sign", "signature", "password"})
_SECRET_PATH_AFTER = ("/hook/", "/services/")
MASK = "***"


def masked_url(url: str) -> str:
    """``url`` with its credentials masked: user and password, credential query values, hook
    tokens in the path. Registrations stored before credentials in URLs were refused still hold
    them; what is listed never shows them."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    path = parts.path
    for marker in _SECRET_PATH_AFTER:
        head, found, tail = path.partition(marker)
        if found and tail:
            path = head + found + "/".join(MASK for _ in tail.split("/"))
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(name, MASK if name.lower() in _SECRET_QUERY_KEYS else value) for name, value in pairs],
            safe="*",
        )
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


def masked(registration: GroupRegistration) -> GroupRegistration:
    """The registration as listed: its URLs' credentials masked (``masked_url``)."""
    notice, source = registration.notice, registration.source
    if notice.url is not None:
        notice = notice.model_copy(update={"url": HttpUrl(masked_url(str(notice.url)))})
    if source.base_url is not None:
        source = source.model_copy(update={"base_url": HttpUrl(masked_url(str(source.base_url)))})
    return registration.model_copy(update={"notice": notice, "source": source})


def list_groups(deps: ApiDeps, tenant: str) -> GroupList:
    return GroupList(groups=[masked(registration) for registration in deps.store.groups.list_groups(tenant)])


def deregister_group(deps: ApiDeps, tenant: str, group_id: str) -> None:
    """Remove a registration (its findings and runs stay until their TTL)."""
    if not re.fullmatch(ID_PATTERN, group_id) or not deps.store.groups.delete_group(tenant, group_id):
        raise NotFound(f"unknown group {group_id}")
