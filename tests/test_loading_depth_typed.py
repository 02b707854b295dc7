"""The nesting guard after a typed decode (groupaudit.loading): a snapshot or directory that
msgspec decodes still is refused when an unknown field nests deeper than 64 levels, and one
whose brackets are all the records' own is accepted without the guard's pass."""

from __future__ import annotations

import json

import pytest

from groupaudit import loading
from groupaudit.errors import InputError, Problem
from groupaudit.loading import decode_directory, decode_snapshot
from kit import TENANT

TOO_DEEP = Problem("", "nested deeper than 64 levels of arrays and objects; refused unread")
SALES = TENANT / "snapshots" / "sales.json"


def _with_field(raw: bytes, value: bytes) -> bytes:
    return raw.rstrip()[:-1] + b', "x": ' + value + b"}"


@pytest.mark.parametrize("levels", [65, 300])
def test_an_unknown_field_msgspec_reads_but_nested_too_deep_is_refused(levels):
    # GIVEN the sample snapshot with an unknown field nested deeper than the limit but
    # shallow enough for msgspec to decode it
    deep = _with_field(SALES.read_bytes(), b"[" * levels + b"]" * levels)
    # WHEN decoded
    with pytest.raises(InputError) as raised:
        decode_snapshot(deep, "deep.json")
    # THEN the one problem is the nesting, as when the guard ran first
    assert (raised.value.source, raised.value.problems) == ("deep.json", [TOO_DEEP])


def test_a_directory_with_a_deep_unknown_field_is_refused():
    # GIVEN a directory with 65 levels of objects in an unknown field
    document = b'{"schema_version": 1, "people": [{"id": "u1", "name": "A"}], "x": '
    deep = document + b'{"a": ' * 65 + b"1" + b"}" * 65 + b"}"
    # WHEN decoded THEN the nesting is named
    with pytest.raises(InputError) as raised:
        decode_directory(deep, "d.json")
    assert raised.value.problems == [TOO_DEEP]


def test_records_whose_brackets_are_their_own_skip_the_guard(monkeypatch):
    # GIVEN the sample snapshot, and a guard that records whether it ran
    raw = SALES.read_bytes()
    calls: list[int] = []
    real = loading.nested_deeper_than

    def counted(data: bytes, limit: int = 64) -> bool:
        calls.append(1)
        return real(data, limit)

    monkeypatch.setattr(loading, "nested_deeper_than", counted)
    # WHEN decoded as it is, then with a shallow unknown field and with brackets in a string
    plain = decode_snapshot(raw, "s.json")
    ran_for_plain = len(calls)
    extra = decode_snapshot(_with_field(raw, b'{"y": [1, [2]]}'), "s.json")
    quoted = decode_snapshot(_with_field(raw, json.dumps("[[[" * 30).encode()), "s.json")
    # THEN all three are read alike; only the two with brackets not of the records ran the guard
    assert plain == extra == quoted
    assert (ran_for_plain, len(calls)) == (0, 2)
    assert loading._snapshot_containers(plain) == (raw.count(b"{"), raw.count(b"["))


def test_the_records_containers_are_counted_with_and_without_optional_lists():
    # GIVEN a snapshot whose messages have mentions, no mentions, and null mentions
    message = '{{"id": "m{0}", "sender_id": "u1", "sent_at": "2026-11-20T09:00:00Z"{1}}}'
    messages = ", ".join(
        message.format(n, extra) for n, extra in enumerate(["", ', "mentions": ["u1"]', ', "mentions": null'])
    )
    raw = (
        '{"schema_version": 1, "platform": "slack", "taken_at": "2026-11-20T10:00:00Z",'
        ' "group": {"id": "g", "name": "G", "admin_ids": ["u1"]},'
        ' "members": [{"id": "u1", "display_name": "A"}], "messages": [' + messages + "]}"
    ).encode()
    # WHEN decoded THEN its objects and arrays are those of the text
    snapshot = decode_snapshot(raw, "s.json")
    assert loading._snapshot_containers(snapshot) == (6, 4) == (raw.count(b"{"), raw.count(b"["))
