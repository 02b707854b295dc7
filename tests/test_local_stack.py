"""The local stack's AWS (moto's server) as DynamoDB looks from outside: each write atomic."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from groupaudit.adapters.storage.runs import RunRecord
from groupaudit.local.stack import local_stack
from groupaudit.pipeline import runtime
from groupaudit.settings import load_settings

GROUPS = [f"grp-{i:03d}" for i in range(80)]


def test_a_reader_never_sees_a_run_item_half_written():
    # GIVEN the local stack and an audit of 80 groups whose runs the worker records one by one
    with local_stack():
        store = runtime.store(load_settings())
        store.runs.create_audit("acme", "audit-1", GROUPS, "api", datetime.now(UTC))
        writing = {"at": 0}
        finished = threading.Event()

        def worker() -> None:
            for index, group in enumerate(GROUPS):
                writing["at"] = index
                run = {"status": "succeeded", "finished_at": datetime.now(UTC).isoformat(), "duration_ms": 5}
                store.runs.finish_run(
                    "acme", group, "audit-1", {**run, "findings": 1, "counts": {"stale_file": 1}}
                )
            finished.set()

        # WHEN GET /audits' reader reads the run being recorded, again and again, meanwhile
        thread = threading.Thread(target=worker)
        thread.start()
        seen: list[RunRecord] = []
        while not finished.is_set():
            run = store.runs.run("acme", GROUPS[writing["at"]], "audit-1")
            if run is not None:
                seen.append(run)
        thread.join()
        audit = store.runs.audit("acme", "audit-1")
    # THEN every run it saw was whole: its group id and status (an item without them does not
    # read as a RunRecord) and its counts (audit_status keys on them; a missing one would read 0)
    assert seen, "the reader saw no run while they were written"
    half_written = [
        run for run in seen if (run.status, run.findings, run.counts) != ("succeeded", 1, {"stale_file": 1})
    ]
    assert half_written == []
    # AND every run was recorded and counted once
    assert audit is not None
    assert audit.groups_done == len(GROUPS) and audit.findings_total == len(GROUPS)
    assert sorted(run.group_id for run in audit.runs) == GROUPS
