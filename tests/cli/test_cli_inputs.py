"""The command line on hostile inputs: snapshots from the future or the ends of the calendar,
documents nested too deeply. Each is a clear error (exit 2, the field named), never a traceback."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from groupaudit.cli import EXIT_INVALID, EXIT_OK, main
from kit import TENANT

SALES = TENANT / "snapshots" / "sales.json"
DEEP = "[" * 2000 + "]" * 2000  # about 4 KB


def _snapshot(tmp_path: Path, **changes) -> Path:
    document = json.loads(SALES.read_text(encoding="utf-8"))
    document.update(changes)
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_snapshot_taken_in_the_future_is_refused_naming_taken_at(tmp_path, capsys):
    # GIVEN a snapshot saying it was taken tomorrow
    tomorrow = (datetime.now(UTC) + timedelta(days=1, minutes=1)).replace(microsecond=0)
    path = _snapshot(tmp_path, taken_at=tomorrow.isoformat())
    # WHEN it is audited as of its own time
    status = main(["audit", str(path)])
    # THEN it is refused, naming the field and why, with no report
    captured = capsys.readouterr()
    assert status == EXIT_INVALID and captured.out == ""
    assert f"  - taken_at: {tomorrow.isoformat()} is 1 day after the snapshot was received (" in captured.err
    assert "a snapshot cannot be taken in the future (clocks may differ by 5 minutes at most)" in captured.err


def test_an_explicit_now_still_audits_a_snapshot_at_any_chosen_time(tmp_path, capsys):
    # GIVEN the same snapshot from the future
    path = _snapshot(tmp_path, taken_at=(datetime.now(UTC) + timedelta(days=30)).isoformat())
    # WHEN it is audited with an explicit --now, in the past and in the future
    past = main(["audit", str(path), "--now", "2026-11-20T18:00:00+08:00", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    future = main(["audit", str(path), "--now", "2031-01-01T00:00:00+08:00", "--format", "json"])
    # THEN both audit as documented, as of the time given
    assert (past, future) == (EXIT_OK, EXIT_OK)
    assert report["audited_at"] == "2026-11-20T18:00:00+08:00"
    assert json.loads(capsys.readouterr().out)["audited_at"] == "2031-01-01T00:00:00+08:00"


@pytest.mark.parametrize("taken_at", ["9999-12-31T23:59:59+08:00", "0001-01-01T00:00:00-08:00"])
def test_a_snapshot_at_an_end_of_the_calendar_is_a_clear_error(tmp_path, capsys, taken_at):
    # GIVEN a snapshot taken in year 9999 or year 1
    path = _snapshot(tmp_path, taken_at=taken_at)
    # WHEN it is audited
    status = main(["audit", str(path)])
    # THEN a clear error names taken_at and the supported range (before: OverflowError)
    err = capsys.readouterr().err
    assert status == EXIT_INVALID
    assert f"taken_at: {taken_at} is outside the supported audit times (1970-01-01 to 2999-12-31 UTC)" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("now", ["9999-12-31T00:00:00+00:00", "0001-01-02T00:00:00+00:00"])
def test_an_explicit_now_at_an_end_of_the_calendar_is_a_clear_error(capsys, now):
    # GIVEN --now in year 9999 or year 1
    # WHEN the sample snapshot is audited at it
    status = main(["audit", str(SALES), "--now", now])
    # THEN a clear error names --now
    assert status == EXIT_INVALID
    assert f"--now: {now} is outside the supported audit times" in capsys.readouterr().err


def test_audit_all_refuses_a_tenant_folder_with_a_snapshot_from_the_future(tmp_path, capsys):
    # GIVEN a copy of the sample tenant, one of whose snapshots was "taken" next year
    folder = tmp_path / "tenant"
    shutil.copytree(TENANT, folder)
    path = folder / "snapshots" / "sales.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["taken_at"] = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    # WHEN the folder is audited as of the snapshots' own times
    status = main(["audit-all", str(folder)])
    # THEN nothing is audited and the error names the file and the field
    captured = capsys.readouterr()
    assert status == EXIT_INVALID and captured.out == ""
    assert f"error: {path} is invalid" in captured.err and "  - taken_at: " in captured.err


def test_a_deeply_nested_snapshot_is_refused_unread(tmp_path, capsys):
    # GIVEN a snapshot whose unknown field nests 2000 levels (4 KB)
    document = SALES.read_bytes().rstrip()
    path = tmp_path / "deep.json"
    path.write_bytes(document[:-1] + b', "x-extra": ' + DEEP.encode() + b"}")
    # WHEN it is audited
    status = main(["audit", str(path)])
    # THEN it is refused with the reason (before: RecursionError)
    err = capsys.readouterr().err
    assert status == EXIT_INVALID
    assert err == (
        f"error: {path} is invalid (1 problem(s)):\n"
        "  - (document): nested deeper than 64 levels of arrays and objects; refused unread\n"
    )


@pytest.mark.parametrize(
    "policy",
    [
        "rules:\n  inactive_member: " + DEEP + "\n",
        "profiles: &loop\n  nested: *loop\n",  # an alias inside its own anchor
        # 1 + 32 levels around an alias of a 32-level node: 65, though no line nests past 33
        "a: &a " + "[" * 32 + "1" + "]" * 32 + "\nb: " + "[" * 32 + "*a" + "]" * 32 + "\n",
    ],
    ids=["flow", "recursive-alias", "alias-stacked"],
)
def test_a_deeply_nested_policy_file_is_refused_unread(tmp_path, capsys, policy):
    # GIVEN a policy file nesting past 64 levels: in flow style, or through aliases
    path = tmp_path / "policy.yaml"
    path.write_text(policy, encoding="utf-8")
    # WHEN the sample snapshot is audited under it
    status = main(["audit", str(SALES), "--policy", str(path)])
    # THEN the policy file is refused with the reason
    err = capsys.readouterr().err
    assert status == EXIT_INVALID
    assert err == (
        f"error: {path} is invalid (1 problem(s)):\n"
        "  - (document): nested deeper than 64 levels of arrays and objects; refused unread\n"
    )


def test_a_deeply_nested_credentials_file_is_refused_before_any_pull(tmp_path, capsys):
    # GIVEN a credentials file of 4 KB of nesting
    credentials = tmp_path / "credentials.json"
    credentials.write_text(DEEP, encoding="utf-8")
    # WHEN a pull is asked for with it
    status = main(
        ["pull", "slack", "C024BE91L", "--credentials", str(credentials), "--out", str(tmp_path / "o")]
    )
    # THEN it is refused with the reason, and nothing is written
    assert status == EXIT_INVALID
    assert "nested deeper than 64 levels" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
