"""`groupaudit serve-api`: a signed on-demand audit over real HTTP on 127.0.0.1, then the
findings read back, as the README shows with curl."""

from __future__ import annotations

import io
import json
import logging
import time
import urllib.error
import urllib.request

import pytest

from groupaudit.local.api_server import SERVICE, logging_at, served_api, template_log_level
from groupaudit.local.resources import TemplateError
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


def test_on_demand_audit_over_http_then_read_the_findings(caplog):
    notices = io.StringIO()
    # GIVEN the API served on a free loopback port over the seeded sample tenant
    caplog.set_level(logging.DEBUG)  # the capture lets everything through; the functions' logger decides
    # (its level before, e.g. from another run, is WARNING)
    with logging_at("WARNING"), served_api(TENANT, port=0, poll_s=0.1, out=notices) as served:
        # (at the template's log level, as deployed: INFO)
        assert logging.getLogger(SERVICE).getEffectiveLevel() == logging.INFO
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
        assert (status, audit["status"], audit["findings_total"]) == (200, "succeeded", 9)
        # AND the findings read back are the nine open ones, the red line among them
        status, page = _call(served, "GET", "/groups/grp-sales/findings?status=open")
        assert status == 200
        assert sorted(item["rule"] for item in page["findings"]) == [
            "departed_member",
            "file_naming",
            "file_naming",
            "inactive_member",
            "overdue_reply",
            "prohibited_content",
            "stale_file",
            "unbacked_document",
            "unbacked_document",
        ]
        # AND a group registered, then registered again, answers 201 then 200 (not a 500 for
        # the work done), and the log says which
        group = json.dumps({"tenant_id": "acme", "group_id": "grp-new", "platform": "slack"}).encode()
        created = _call(served, "POST", "/groups", group)[0]
        time.sleep(1)  # a new timestamp: the same signature again would be a replay
        replaced = _call(served, "POST", "/groups", group)[0]
        assert (created, replaced) == (201, 200)
        logged = [r for r in caplog.records if r.name == SERVICE and r.getMessage() == "group registered"]
        assert [record.new_registration for record in logged] == [True, False]
        # AND a forged signature is refused
        status, refused = _call(served, "POST", "/audits", body, secret="not-the-secret")
        assert (status, refused["error"]) == (
            401,
            "signature does not match (or the tenant has no API secret)",
        )
    # AND the group's notice was posted once
    assert notices.getvalue().count("[notice → acme/grp-sales]") == 1


def test_the_log_level_is_read_from_the_templates_globals(tmp_path):
    # GIVEN the project's template, one whose LogLevel parameter defaults to DEBUG, one with a
    # literal level, and one without any
    source = (TENANT.parents[1] / "template.yaml").read_text(encoding="utf-8")
    debug, literal, missing = (tmp_path / name for name in ("debug.yaml", "literal.yaml", "missing.yaml"))
    debug.write_text(source.replace("Default: INFO", "Default: DEBUG"), encoding="utf-8")
    level = "POWERTOOLS_LOG_LEVEL: !Ref LogLevel"
    literal.write_text(source.replace(level, "POWERTOOLS_LOG_LEVEL: error"), encoding="utf-8")
    missing.write_text(source.replace(level, "OTHER: x"), encoding="utf-8")
    # WHEN their log level is read
    # THEN it is the template's, resolved through its parameter's default
    assert template_log_level() == "INFO"
    assert (template_log_level(debug), template_log_level(literal)) == ("DEBUG", "ERROR")
    with pytest.raises(TemplateError, match="POWERTOOLS_LOG_LEVEL is not a log level"):
        template_log_level(missing)
