"""`groupaudit serve-api`: a signed on-demand audit over real HTTP on 127.0.0.1, then the
findings read back, as the README shows with curl."""

from __future__ import annotations

import io
import json
import time
import urllib.error
import urllib.request

from groupaudit.local.api_server import served_api
from groupaudit.signing import sign_request
from kit import TENANT


def _call(
    served, method: str, path: str, body: bytes = b"", *, secret: str | None = None
) -> tuple[int, dict]:
    timestamp = str(int(time.time()))
    signature = sign_request((secret or served.secret).encode(), timestamp, method, path, body)
    request = urllib.request.Request(
        served.url + path,
        data=body or None,
        method=method,
        headers={
            "Content-Type": "application/json",
            "X-GroupAudit-Tenant": served.tenant,
            "X-GroupAudit-Timestamp": timestamp,
            "X-GroupAudit-Signature": signature,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def test_on_demand_audit_over_http_then_read_the_findings():
    notices = io.StringIO()
    # GIVEN the API served on a free loopback port over the seeded sample tenant
    with served_api(TENANT, port=0, poll_s=0.1, out=notices) as served:
        # WHEN a signed POST /audits asks for the sales group
        body = json.dumps({"tenant_id": "acme", "group_id": "grp-sales"}).encode()
        status, accepted = _call(served, "POST", "/audits", body)
        # THEN it is accepted with an audit id, which runs to completion
        assert status == 202
        audit_path = f"/audits/{accepted['audit_id']}"
        for _ in range(100):
            status, audit = _call(served, "GET", audit_path)
            if audit["status"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        assert (status, audit["status"], audit["findings_total"]) == (200, "succeeded", 8)
        # AND the findings read back are the eight open ones
        status, page = _call(served, "GET", "/groups/grp-sales/findings?status=open")
        assert status == 200
        assert sorted(item["rule"] for item in page["findings"]) == [
            "departed_member",
            "file_naming",
            "file_naming",
            "inactive_member",
            "overdue_reply",
            "stale_file",
            "unbacked_document",
            "unbacked_document",
        ]
        # AND a forged signature is refused
        status, refused = _call(served, "POST", "/audits", body, secret="not-the-secret")
        assert (status, refused["error"]) == (
            401,
            "signature does not match (or the tenant has no API secret)",
        )
    # AND the group's notice was posted once
    assert notices.getvalue().count("[notice → acme/grp-sales]") == 1
