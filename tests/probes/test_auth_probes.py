"""Forged, stale, replayed and cross-tenant requests against the API function.

Each case is a request (or a pair: the first carried out, the second the probe) that must be
refused: 401 for anything whose signature does not hold for its tenant, timestamp and exact
bytes; 404 or 422 for a correctly signed request reaching for another tenant's things. After
every case nothing is queued and no registration changed.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from groupaudit import signing
from groupaudit.pipeline import api, runtime
from groupaudit.settings import load_settings
from groupaudit.wire import GroupRegistration
from kit import receive_all
from probes.signed import ACME, GLOBEX, INITECH, SECRETS, http_event, send
from probes.tally import record
from probes.world import moto_world

AUDIT = json.dumps({"tenant_id": ACME, "group_id": "all"}).encode()
GLOBEX_GROUP = "grp-x"
_step = itertools.count()


def _now() -> str:
    """A timestamp within the tolerance, later than every one before: no two signatures alike."""
    return str(int(time.time()) - 250 + next(_step))


def _registration(tenant: str, group: str) -> bytes:
    document = {"tenant_id": tenant, "group_id": group, "platform": "slack", "kind": "project"}
    return json.dumps(document).encode()


@dataclass(frozen=True)
class Probe:
    id: str
    events: Callable[[], list[dict]]  # the last one is the probe; earlier ones are carried out
    status: int
    error: str = ""


def _post(**kwargs) -> Callable[[], list[dict]]:
    def build() -> list[dict]:
        fields = {"timestamp": _now(), **kwargs}
        return [
            http_event(
                fields.pop("method", "POST"),
                fields.pop("path", "/audits"),
                fields.pop("body", AUDIT),
                **fields,
            )
        ]

    return build


def _replayed(method: str, path: str, body: bytes) -> Callable[[], list[dict]]:
    def build() -> list[dict]:
        event = http_event(method, path, body, timestamp=_now())
        return [event, event]

    return build


def _header(name: str, value: str, **kwargs) -> Callable[[], list[dict]]:
    """The header ``name`` set to ``value`` after signing (``{now-5}``: five seconds ago, then)."""

    def build() -> list[dict]:
        sent = value.replace("{now-5}", str(int(time.time()) - 5))
        return _post(headers={name: sent}, **kwargs)()

    return build


def _stamp(value: str) -> Callable[[], list[dict]]:
    """The timestamp header set to ``value``, and the signature computed over it."""
    return _post(timestamp=value)


def _signed_at(offset: int) -> Callable[[], list[dict]]:
    """Signed ``offset`` seconds from the moment the probe is sent."""

    def build() -> list[dict]:
        return _post(timestamp=str(int(time.time()) + offset))()

    return build


NOT = api._NOT_VERIFIED
SIG = "X-GroupAudit-Signature"
TS = "X-GroupAudit-Timestamp"
TENANT = "X-GroupAudit-Tenant"
HEX = "0123456789abcdef" * 4

PROBES = [
    # --- the signature value
    Probe("signature-all-zeros", _header(SIG, "sha256=" + "0" * 64), 401, NOT),
    Probe("signature-random-hex", _header(SIG, "sha256=" + HEX), 401, NOT),
    Probe("control-correctly-signed", _post(secret=SECRETS[ACME]), 202),  # the same request, accepted
    Probe("signature-no-prefix", _header(SIG, HEX), 401, "must be sha256=<64"),
    Probe("signature-sha1-prefix", _header(SIG, "sha1=" + "0" * 40), 401, "must be sha256=<64"),
    Probe("signature-empty-value", _header(SIG, ""), 401, "missing X-GroupAudit-Signature"),
    Probe("signature-prefix-only", _header(SIG, "sha256="), 401, "must be sha256=<64"),
    Probe("signature-63-digits", _header(SIG, "sha256=" + HEX[:63]), 401, "must be sha256=<64"),
    Probe("signature-65-digits", _header(SIG, "sha256=" + HEX + "0"), 401, "must be sha256=<64"),
    Probe("signature-not-hex", _header(SIG, "sha256=" + "z" * 64), 401, "must be sha256=<64"),
    Probe("signature-padded", _header(SIG, " sha256=" + HEX + " "), 401, "must be sha256=<64"),
    Probe(
        "signature-missing", _post(omit=("x-groupaudit-signature",)), 401, "missing X-GroupAudit-Signature"
    ),
    Probe("signature-duplicated", _header(SIG, f"sha256={HEX},sha256={HEX}"), 401, "must be sha256=<64"),
    Probe(
        "signature-base64",
        _header(SIG, "sha256=ASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4mrze8="),
        401,
        "must be sha256=<64",
    ),
    Probe("signature-unicode-digits", _header(SIG, "sha256=" + "０" * 64), 401, "must be sha256=<64"),
    # --- what the signature covers
    Probe("signed-with-another-tenants-secret", _post(secret=SECRETS[GLOBEX]), 401, NOT),
    Probe("signed-with-an-empty-secret", _post(secret=b""), 401, NOT),
    Probe("signed-with-a-guessed-secret", _post(secret=b"acme"), 401, NOT),
    Probe("signed-with-the-secret-plus-a-byte", _post(secret=SECRETS[ACME] + b"x"), 401, NOT),
    Probe("signed-the-documented-example-secret", _post(secret=b"example-secret"), 401, NOT),
    Probe(
        "body-changed-after-signing", _post(signed_body=b'{"tenant_id":"acme","group_id":"grp-b"}'), 401, NOT
    ),
    Probe("body-byte-appended", _post(signed_body=AUDIT[:-1]), 401, NOT),
    Probe("body-whitespace-changed", _post(signed_body=AUDIT.replace(b", ", b",")), 401, NOT),
    Probe("body-empty-signed-full", _post(body=b"", signed_body=AUDIT), 401, NOT),
    Probe("method-changed-after-signing", _post(signed_method="GET"), 401, NOT),
    Probe("path-changed-after-signing", _post(signed_path="/groups"), 401, NOT),
    Probe("query-added-after-signing", _post(path="/audits?x=1", signed_path="/audits"), 401, NOT),
    Probe("query-dropped-after-signing", _post(signed_path="/audits?dry=1"), 401, NOT),
    Probe("path-case-changed", _post(signed_path="/AUDITS"), 401, NOT),
    Probe("trailing-slash-signed", _post(signed_path="/audits/"), 401, NOT),
    Probe(
        "base64-body-signed-encoded",
        _post(base64_body=True, signed_body=b"eyJ0ZW5hbnRfaWQiOiJhY21lIn0="),
        401,
        NOT,
    ),
    # --- the timestamp
    Probe(
        "timestamp-missing", _post(omit=("x-groupaudit-timestamp",)), 401, "missing X-GroupAudit-Timestamp"
    ),
    Probe("timestamp-empty", _stamp(""), 401, "missing X-GroupAudit-Timestamp"),
    Probe("timestamp-words", _stamp("yesterday"), 401, "not unix seconds"),
    Probe("timestamp-float", _stamp(f"{int(time.time())}.5"), 401, "not unix seconds"),
    Probe("timestamp-hex", _stamp(hex(int(time.time()))), 401, "not unix seconds"),
    Probe("timestamp-301s-old", _signed_at(-301), 401, "more than 300 seconds off"),
    Probe("timestamp-a-day-old", _signed_at(-86_400), 401, "more than 300 seconds off"),
    Probe("timestamp-301s-ahead", _signed_at(301), 401, "more than 300 seconds off"),
    Probe("timestamp-a-year-ahead", _signed_at(365 * 86_400), 401, "more than 300 seconds off"),
    Probe("timestamp-zero", _stamp("0"), 401, "more than 300 seconds off"),
    Probe("timestamp-negative", _stamp("-1"), 401, "more than 300 seconds off"),
    Probe("timestamp-milliseconds", _stamp(str(int(time.time() * 1000))), 401, "more than 300 seconds off"),
    Probe("timestamp-huge", _stamp("9" * 400), 401, "more than 300 seconds off"),
    Probe("timestamp-5000-digits", _stamp("9" * 5000), 401, "not unix seconds"),
    Probe(
        "timestamp-duplicated", _header(TS, f"{int(time.time())},{int(time.time())}"), 401, "not unix seconds"
    ),
    Probe("timestamp-changed-after-signing", _header(TS, "{now-5}"), 401, NOT),
    # --- the tenant
    Probe("tenant-missing", _post(omit=("x-groupaudit-tenant",)), 401, "missing X-GroupAudit-Tenant"),
    Probe("tenant-empty", _header(TENANT, ""), 401, "missing X-GroupAudit-Tenant"),
    Probe("tenant-unknown", _post(tenant=INITECH, secret=b"guess"), 401, NOT),
    Probe("tenant-unknown-signed-with-acme-secret", _post(tenant=INITECH, secret=SECRETS[ACME]), 401, NOT),
    Probe("tenant-wildcard-all", _post(tenant="all", secret=SECRETS[ACME]), 401, NOT),
    Probe("tenant-traversal", _post(tenant="../acme", secret=SECRETS[ACME]), 401, "is not a tenant id"),
    Probe("tenant-uppercase", _post(tenant="ACME", secret=SECRETS[ACME]), 401, NOT),
    Probe("tenant-trailing-space", _header(TENANT, "acme "), 401, "is not a tenant id"),
    Probe("tenant-duplicated", _header(TENANT, "acme,globex"), 401, "is not a tenant id"),
    Probe("tenant-b-header-with-tenant-a-key", _post(tenant=GLOBEX, secret=SECRETS[ACME]), 401, NOT),
    Probe("tenant-a-header-with-tenant-b-key", _post(tenant=ACME, secret=SECRETS[GLOBEX]), 401, NOT),
    # --- replays
    Probe("replayed-audit-request", _replayed("POST", "/audits", AUDIT), 401, "replay"),
    Probe(
        "replayed-registration",
        _replayed("POST", "/groups", _registration(ACME, "grp-replay")),
        401,
        "replay",
    ),
    Probe("replayed-deregistration", _replayed("DELETE", "/groups/grp-a", b""), 401, "replay"),
    # --- tenant A's valid signature reaching for tenant B's things
    Probe(
        "body-names-another-tenant",
        _post(body=json.dumps({"tenant_id": GLOBEX, "group_id": "all"}).encode()),
        422,
        "tenant_id does not match",
    ),
    Probe(
        "audit-of-another-tenants-group",
        _post(body=json.dumps({"tenant_id": ACME, "group_id": GLOBEX_GROUP}).encode()),
        404,
        "unknown group",
    ),
    Probe(
        "findings-of-another-tenants-group",
        _post(method="GET", path=f"/groups/{GLOBEX_GROUP}/findings", body=b""),
        404,
        "unknown group",
    ),
    Probe(
        "deregister-another-tenants-group",
        _post(method="DELETE", path=f"/groups/{GLOBEX_GROUP}", body=b""),
        404,
        "unknown group",
    ),
    Probe(
        "register-for-another-tenant",
        _post(path="/groups", body=_registration(GLOBEX, "grp-evil")),
        422,
        "tenant_id does not match",
    ),
    Probe(
        "register-over-another-tenants-group",
        _post(path="/groups", body=_registration(GLOBEX, GLOBEX_GROUP)),
        422,
        "tenant_id does not match",
    ),
]


@pytest.fixture(scope="module")
def api_world():
    with moto_world():
        settings = load_settings()
        secrets = runtime.client("secretsmanager")
        for tenant, secret in SECRETS.items():
            secrets.create_secret(Name=api.tenant_secret_name(settings, tenant), SecretString=secret.decode())
        store = runtime.store(settings)
        for tenant, group in ((ACME, "grp-a"), (ACME, "grp-b"), (GLOBEX, GLOBEX_GROUP)):
            store.groups.put_group(
                GroupRegistration(tenant_id=tenant, group_id=group, platform="slack", kind="project")
            )
        yield settings, store, runtime.client("sqs")


def _state(store) -> dict:
    return {
        tenant: [g.model_dump(mode="json") for g in store.groups.list_groups(tenant)]
        for tenant in (ACME, GLOBEX)
    }


@pytest.mark.parametrize("probe", PROBES, ids=[probe.id for probe in PROBES])
def test_a_forged_stale_replayed_or_cross_tenant_request_is_refused_and_changes_nothing(api_world, probe):
    settings, store, sqs = api_world
    # GIVEN the registry as it is, and an empty audit queue
    *carried_out, event = probe.events()
    for earlier in carried_out:
        assert send(earlier)[0] in (200, 201, 202, 204)
    receive_all(sqs, settings.audit_queue_url)  # what was queued so far stays invisible from now on
    before = _state(store)
    # WHEN the probe is sent
    status, body = send(event)
    # THEN it is refused as expected, saying why, and nothing changed
    after = _state(store)
    queued = receive_all(sqs, settings.audit_queue_url)
    if probe.status < 300:  # the control case: the same request, correctly signed, is accepted
        assert status == probe.status
        return
    refused = status == probe.status and after == before and not queued
    record("forged, stale, replayed, cross-tenant requests", "refused" if refused else "accepted")
    assert status == probe.status, body
    assert probe.error in body["error"]
    assert after == before
    assert queued == []


def test_the_battery_tries_at_least_the_56_requests_of_the_issue():
    assert len([p for p in PROBES if p.status >= 400]) >= 56


def test_a_valid_uppercase_hex_signature_is_refused_as_malformed(api_world):
    # the issue's "signature wrong" includes case games: only lowercase hex is the format
    event = http_event("POST", "/audits", AUDIT, timestamp=_now())
    value = event["headers"]["x-groupaudit-signature"]
    event["headers"]["x-groupaudit-signature"] = "sha256=" + value.removeprefix("sha256=").upper()
    status, body = send(event)
    assert (status, body["error"]) == (401, f"{SIG} must be sha256=<64 lowercase hex digits>")
    assert signing.sign_request(SECRETS[ACME], "1", "POST", "/audits", AUDIT).startswith("sha256=")
