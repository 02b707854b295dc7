"""The local main job: a full scheduled audit of the sample tenant through the real handlers.

moto's server on 127.0.0.1 → resources from template.yaml → the sample tenant registered and
its snapshots dropped in the bucket → the scheduler handler with events/scheduled.json → the
audit queue drained through the worker → the notice queue through the notifier (console
channel: the notices print as they are delivered) → the findings read back from DynamoDB.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import IO

from groupaudit.local.invoke import LambdaContext, drain, load_handler
from groupaudit.local.seed import seed_tenant
from groupaudit.local.stack import ROOT, local_stack
from groupaudit.pipeline import runtime
from groupaudit.settings import load_settings

SAMPLE = ROOT / "events" / "sample-tenant"
SCHEDULED_EVENT = ROOT / "events" / "scheduled.json"


def run_demo(tenant_dir: Path = SAMPLE, out: IO[str] | None = None) -> dict[str, int]:
    out = out or sys.stdout
    with local_stack() as stack:
        settings = load_settings()
        store = runtime.store(settings)
        sqs, s3_client = runtime.client("sqs"), runtime.client("s3")
        out.write(f"moto server on {stack.endpoint}\n")
        out.flush()
        groups = seed_tenant(
            tenant_dir,
            s3_client=s3_client,
            store=store,
            snapshot_bucket=settings.snapshot_bucket,
            backup_bucket=settings.backup_bucket,
        )
        out.write(f"{len(groups)} group(s) registered from {tenant_dir}\n\n")
        event = json.loads(SCHEDULED_EVENT.read_text(encoding="utf-8"))
        fanned = load_handler("scheduler")(event, LambdaContext("scheduler"))
        out.write(f"scheduler: {fanned['groups']} audit(s) queued\n")
        audits = drain(sqs, settings.audit_queue_url, load_handler("audit_worker"), "audit_worker")
        out.write(f"audit worker: {audits['handled']} handled, {audits['failed']} failed\n\n== notices ==\n")
        out.flush()
        with contextlib.redirect_stdout(out):  # the console channel posts to stdout
            notices = drain(sqs, settings.notice_queue_url, load_handler("notifier"), "notifier")
        out.write(f"notifier: {notices['handled']} delivered, {notices['failed']} failed\n\n== findings ==\n")
        total = 0
        for tenant, audit_id in fanned["audits"].items():
            audit = store.get_audit(tenant, audit_id)
            for run in sorted(audit["runs"], key=lambda r: r["group_id"]):
                findings, _ = store.list_findings(tenant, run["group_id"], "open", 200, None)
                total += len(findings)
                out.write(
                    f"-- {tenant}/{run['group_id']}: {run['status']}, {len(findings)} open finding(s)\n"
                )
                for item in findings:
                    summary = item["finding"]["summary"]
                    out.write(f"   [{item['severity']}] {item['rule']}/{item['kind']} {summary}\n")
        out.write(f"\n{len(groups)} group(s) audited, {total} open finding(s) stored.\n")
        return {"groups": len(groups), "findings": total, "notices": notices["handled"]}
