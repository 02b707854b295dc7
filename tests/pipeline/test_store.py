"""Store details: pagination's last page, run counters, the replay window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from groupaudit.contracts import Finding

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _finding(index: int) -> Finding:
    return Finding(
        id=f"{index:032x}",
        rule="stale_file",
        kind="inactive",
        severity="info",
        subject_id=f"f-{index}",
        message_id=None,
        file_id=f"f-{index}",
        detected_at=AT,
        policy_ref="000 五(三)1",
        summary="s",
        evidence={},
    )


def test_a_full_last_page_carries_no_cursor(store):
    # GIVEN exactly 100 open findings
    store.sync_findings("acme", "g", "a" * 32, AT, [_finding(i) for i in range(100)], {})
    # WHEN paged by 50
    first, cursor = store.list_findings("acme", "g", "open", 50, None)
    second, end = store.list_findings("acme", "g", "open", 50, cursor)
    # THEN two pages, and no cursor leading to an empty third
    assert (len(first), len(second), end) == (50, 50, None)
    assert {f["finding_id"] for f in first}.isdisjoint(f["finding_id"] for f in second)


def test_a_skipped_run_counts_as_done_not_failed(store):
    # GIVEN an audit of two groups
    store.create_audit("acme", "b" * 32, ["g1", "g2"], "api", AT)
    run = {"finished_at": AT.isoformat(), "duration_ms": 5}
    # WHEN one run is skipped (a newer audit existed) and one failed
    store.finish_run("acme", "g1", "b" * 32, {**run, "status": "skipped"})
    store.finish_run("acme", "g2", "b" * 32, {**run, "status": "failed", "error": "x"})
    # THEN both are done and only one failed; recording again changes nothing
    assert store.finish_run("acme", "g2", "b" * 32, {**run, "status": "failed"}) is False
    audit = store.get_audit("acme", "b" * 32)
    assert (audit["groups_done"], audit["groups_failed"]) == (2, 1)


def test_a_signature_is_remembered_for_the_window_asked(store, aws):
    # GIVEN a signature remembered for 20 minutes
    assert store.remember_signature("acme", "sha256=ab", AT, timedelta(minutes=20)) is True
    # WHEN it is seen again
    # THEN it is refused, and its expiry is 20 minutes out
    assert store.remember_signature("acme", "sha256=ab", AT, timedelta(minutes=20)) is False
    item = store.client.get_item(
        TableName=store.table, Key={"PK": {"S": "NONCE#acme"}, "SK": {"S": "sha256=ab"}}
    )
    assert int(item["Item"]["expires_at"]["N"]) == int((AT + timedelta(minutes=20)).timestamp())


def test_stored_finding_round_trips_the_contract(store):
    # GIVEN a finding synced
    finding = _finding(7)
    store.sync_findings("acme", "g", "c" * 32, AT, [finding], {})
    # WHEN read back through the listing
    (item,), _ = store.list_findings("acme", "g", None, 10, None)
    # THEN the stored finding equals the engine's, field for field
    assert item["finding"] == msgspec.to_builtins(finding)
    assert (item["status"], item["first_seen"]) == ("open", AT.isoformat())
