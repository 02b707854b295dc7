"""The whole flow on moto's server over loopback, exactly as `make demo` runs it."""

from __future__ import annotations

import io
import os
import re
import socket

import pytest

from groupaudit.cli import main
from groupaudit.local.demo import run_demo


def test_scheduled_audit_of_the_sample_tenant_end_to_end():
    # GIVEN nothing running
    endpoint_before = os.environ.get("AWS_ENDPOINT_URL")
    out = io.StringIO()
    # WHEN the local main job runs (server, resources from the template, seed, schedule, drain)
    result = run_demo(out=out)
    # THEN every group was audited, findings stored, one notice per group with findings posted to
    # its platform's robot, which checked the signature and took it, and the sales group's red line
    # reported to the supervision contact
    text = out.getvalue()
    assert result == {"groups": 7, "findings": 30, "notices": 7, "delivered": 7, "refused": 0}
    assert "scheduler: 7 audit(s) queued" in text
    assert "audit worker: 7 handled, 0 failed" in text
    robots = [
        line.split("]")[0] + "]"
        for line in text.splitlines()
        if line.startswith("[") and " robot of " in line
    ]
    assert sorted(robots) == [
        "[dingtalk robot of grp-company]",
        "[dingtalk robot of grp-mgmt]",
        "[dingtalk robot of grp-sales]",
        "[dingtalk robot of supervision]",
        "[feishu robot of grp-rd]",
        "[wecom robot of grp-ops-vip]",
        "[wecom robot of grp-proj-xinghe]",
    ]  # the clean group (grp-weekly, on Slack) gets no notice
    assert "[dingtalk robot of grp-sales] @u-li @u-head-sales @u-wang @u-zhang" in text
    assert "【群规审计】销售部工作群 · 2026-11-20 18:00" in text
    assert "-- acme/grp-weekly: succeeded, 0 open finding(s)" in text
    assert "-- acme/grp-sales: succeeded, 10 open finding(s)" in text
    # AND the tenant pass after the last group stored the new hire's gap in both groups missing her
    assert text.count("onboarding_gap/") == 2
    assert "onboarding_gap/company_group 新员工 林小雨（销售部，2026-11-12 入职，今天第 9 天）" in text
    # AND the server is gone and the environment restored
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint_before


def test_demo_command_on_an_empty_tenant_ends_cleanly(tmp_path, capsys):
    # GIVEN a tenant folder with no snapshots
    endpoint_before = os.environ.get("AWS_ENDPOINT_URL")
    (tmp_path / "snapshots").mkdir()
    # WHEN the demo runs on it
    status = main(["demo", str(tmp_path)])
    # THEN it ends cleanly (nothing to audit) and leaves no endpoint behind
    assert status == 0
    assert "0 group(s) registered" in capsys.readouterr().out
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint_before


def test_demo_stops_the_server_when_the_run_fails(tmp_path, capsys):
    # GIVEN a tenant folder whose snapshot is invalid
    endpoint_before = os.environ.get("AWS_ENDPOINT_URL")
    (tmp_path / "snapshots").mkdir()
    (tmp_path / "snapshots" / "bad.json").write_text('{"schema_version": 2}', encoding="utf-8")
    # WHEN the demo runs on it
    status = main(["demo", str(tmp_path)])
    # THEN it fails with the input error, and the server it started no longer listens
    captured = capsys.readouterr()
    assert status == 2
    assert "bad.json is invalid" in captured.err
    listening = re.search(r"127\.0\.0\.1:(\d+)", captured.out)
    assert listening is not None, captured.out
    port = int(listening.group(1))
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint_before
