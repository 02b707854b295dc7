"""The bad-input battery (cases.py) through the command line and through the worker.

Command line: ``groupaudit audit`` on each bad snapshot, policy or directory exits 2 with an
error naming the problem, prints no report and no traceback.

Worker: the same bytes arrive as the group's snapshot object, or as the tenant's policy or
directory in S3; the run is recorded failed with a reason naming the problem, nothing is
retried, and the findings the table held before are exactly the findings it holds after.
"""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from groupaudit.adapters.storage.findings import FindingRecord
from groupaudit.adapters.storage.runs import RunRecord
from groupaudit.cli import EXIT_INVALID, EXIT_OK, main
from groupaudit.local.invoke import sqs_event
from groupaudit.local.seed import seed_tenant
from groupaudit.pipeline import runtime
from groupaudit.settings import load_settings
from kit import TENANT, invoke
from probes.cases import BAD_INPUTS, TOLERATED, BadInput
from probes.tally import record
from probes.world import moto_world

SALES = TENANT / "snapshots" / "sales.json"
GROUP = "grp-sales"


def _cli_args(case: BadInput, path: Path) -> list[str]:
    if case.target == "snapshot":
        return ["audit", str(path), "--format", "json"]
    option = {"policy": "--policy", "directory": "--directory"}[case.target]
    return ["audit", str(SALES), option, str(path), "--format", "json"]


def _finding_ids(out: str) -> set[str]:
    return {finding["id"] for finding in json.loads(out)["findings"]}


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[case.id for case in BAD_INPUTS])
def test_the_command_line_refuses_a_bad_input_with_an_error_naming_it(tmp_path, capsys, case):
    # GIVEN a bad input file
    path = tmp_path / f"{case.id}.input"
    path.write_bytes(case.data)
    # WHEN it is audited
    status = main(_cli_args(case, path))
    captured = capsys.readouterr()
    # THEN exit 2, no report, and the error names the file and the problem
    clear = (
        status == EXIT_INVALID
        and captured.out == ""
        and "Traceback" not in captured.err
        and captured.err.startswith("error: ")
        and all(words in captured.err for words in case.expect)
    )
    record("cli bad inputs", "refused" if clear else "unclear")
    assert status == EXIT_INVALID, captured.err
    assert captured.out == ""
    assert captured.err.startswith(f"error: {path}"), captured.err
    for words in case.expect:
        assert words in captured.err


@pytest.fixture(scope="module")
def unchanged_findings() -> set[str]:
    """What the unchanged sample finds (the command line, audited as of its taken_at)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with contextlib.redirect_stdout(out):
        assert main(["audit", str(SALES), "--format", "json"]) == EXIT_OK
    out.flush()
    return _finding_ids(out.buffer.getvalue().decode())


@pytest.mark.parametrize("case", TOLERATED, ids=[case.id for case in TOLERATED])
def test_a_tolerated_oddity_audits_and_finds_nothing_new(tmp_path, capsys, case, unchanged_findings):
    # GIVEN an input with a documented tolerance (unknown field, mention of a non-member, ...)
    path = tmp_path / f"{case.id}.input"
    path.write_bytes(case.data)
    # WHEN it is audited
    status = main(_cli_args(case, path))
    out = capsys.readouterr().out
    # THEN it audits, and every finding is one the unchanged input has too (no false finding)
    new = _finding_ids(out) - unchanged_findings if status == EXIT_OK else {"-"}
    record("cli tolerated inputs", "refused" if not new else "findings_changed")
    assert status == EXIT_OK
    assert new == set()


# --- the worker ----------------------------------------------------------------------------------


class Pipeline:
    """One moto world for the module: the sample tenant seeded and audited once."""

    def __init__(self) -> None:
        self.settings = load_settings()
        self.store = runtime.store(self.settings)
        self.s3 = runtime.client("s3")
        self.sqs = runtime.client("sqs")
        seed_tenant(
            TENANT,
            s3_client=self.s3,
            store=self.store,
            snapshot_bucket=self.settings.snapshot_bucket,
            backup_bucket=self.settings.backup_bucket,
        )
        self.arn = self.sqs.get_queue_attributes(
            QueueUrl=self.settings.audit_queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]

    def key(self, target: str) -> str:
        return {
            "snapshot": f"snapshots/acme/{GROUP}.json",
            "policy": "tenants/acme/policy.yaml",
            "directory": "tenants/acme/directory.json",
        }[target]

    def read(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.settings.snapshot_bucket, Key=key)["Body"].read()

    def write(self, key: str, data: bytes) -> None:
        self.s3.put_object(Bucket=self.settings.snapshot_bucket, Key=key, Body=data)

    def audit(self) -> tuple[str, dict, RunRecord | None]:
        """(audit id, the worker's answer, the recorded run) of one manual audit of the group."""
        audit_id = uuid.uuid4().hex
        body = {
            "tenant_id": "acme",
            "group_id": GROUP,
            "audit_id": audit_id,
            "trigger": "manual",
            "requested_at": datetime.now(UTC).isoformat(),
        }
        message = {"MessageId": audit_id, "ReceiptHandle": audit_id, "Body": json.dumps(body)}
        answer = invoke("audit_worker", sqs_event([message], self.arn))
        return audit_id, answer, self.store.runs.run("acme", GROUP, audit_id)

    def findings(self) -> list[FindingRecord]:
        items, cursor = self.store.findings.findings_page("acme", GROUP, None, 200, None)
        assert cursor is None
        return items


@pytest.fixture(scope="module")
def pipeline():
    with moto_world():
        world = Pipeline()
        _, answer, run = world.audit()
        assert answer == {"batchItemFailures": []} and run is not None and run.status == "succeeded", run
        assert run.findings > 0
        yield world


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[case.id for case in BAD_INPUTS])
def test_the_worker_records_a_bad_input_as_a_failed_run_and_keeps_the_findings(pipeline, case):
    # GIVEN the group's stored findings, and one of its inputs in S3 replaced by a bad one
    before = pipeline.findings()
    key = pipeline.key(case.target)
    good = pipeline.read(key)
    pipeline.write(key, case.data)
    try:
        # WHEN the worker audits the group
        _, answer, run = pipeline.audit()
    finally:
        pipeline.write(key, good)
    after = pipeline.findings()
    # THEN the run is failed (not retried), its reason names the problem, and no finding changed
    error = (run.error if run is not None else None) or ""
    clear = run is not None and run.status == "failed" and all(words in error for words in case.expect)
    record("worker bad inputs", "refused" if clear else "unclear")
    record("worker stored findings", "refused" if after == before else "findings_changed")
    assert answer == {"batchItemFailures": []}
    assert run is not None and run.status == "failed", run
    for words in case.expect:
        assert words in error, error
    assert after == before
