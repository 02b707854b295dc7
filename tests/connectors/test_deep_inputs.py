"""Deeply nested JSON from outside (dropped records, an export, a stored pull state) is refused
with a clear error before any parser recurses into it: a run fails saying so, it never crashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groupaudit.connectors.base import parse_records
from groupaudit.connectors.incremental import decode_state
from groupaudit.connectors.slack_export import import_slack_export
from groupaudit.errors import InputError

DEEP = b"[" * 5000 + b"]" * 5000


def test_deeply_nested_dropped_records_are_an_input_error_not_a_crash():
    # GIVEN a dropped object of 5,000 nested arrays
    # WHEN its records are read
    # THEN a clear input error names the object and the limit
    with pytest.raises(InputError) as raised:
        list(parse_records(DEEP, "drops/acme/grp/0001.json"))
    assert "drops/acme/grp/0001.json" in str(raised.value)
    assert "nested" in str(raised.value)


def test_a_deeply_nested_pull_state_is_ignored_for_a_full_pull():
    # GIVEN a stored pull state that is 5,000 levels deep
    # WHEN it is read
    # THEN it counts as no state (the next pull reads the whole window)
    assert decode_state(DEEP) is None


def test_a_deeply_nested_export_file_is_an_input_error(tmp_path: Path):
    # GIVEN a Slack export whose channels.json is 5,000 levels deep
    (tmp_path / "users.json").write_text("[]", encoding="utf-8")
    (tmp_path / "channels.json").write_bytes(DEEP)
    # WHEN it is imported
    # THEN a clear input error names the file, with no traceback from a recursion
    with pytest.raises(InputError) as raised:
        import_slack_export(tmp_path)
    assert "channels.json" in str(raised.value)


def test_a_normal_record_still_reads():
    # GIVEN an ordinary record
    # THEN it is read as before
    assert list(parse_records(json.dumps([{"msgid": "1"}]).encode(), "x")) == [("x[0]", {"msgid": "1"})]
