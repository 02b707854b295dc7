"""Reading group snapshots and directories: what is accepted, and how every problem is named
(field path, record id, why) when the input is wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from groupaudit.cli import main
from groupaudit.errors import InputError, Problem
from groupaudit.loading import decode_directory, decode_snapshot, load_snapshot

NO_OFFSET = "timestamp has no UTC offset; write it with one, e.g. 2026-11-20T09:15:00+08:00 or ...Z"
GROUPAUDIT = Path(sys.executable).with_name("groupaudit")


def snapshot_doc(**fields: Any) -> dict[str, Any]:
    """A snapshot with only the required fields, plus ``fields``."""
    doc: dict[str, Any] = {
        "schema_version": 1,
        "platform": "dingtalk",
        "taken_at": "2026-11-20T18:00:00+08:00",
        "group": {"id": "grp-sales", "name": "销售部工作群"},
    }
    doc.update(fields)
    return doc


def message(message_id: str, **fields: Any) -> dict[str, Any]:
    record = {"id": message_id, "sender_id": "u-zhang", "sent_at": "2026-11-20T10:00:00+08:00"}
    record.update(fields)
    return record


def directory_doc(*people: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": 1, "tenant_id": "acme", "people": list(people)}


def person(person_id: str, **fields: Any) -> dict[str, Any]:
    record = {
        "id": person_id,
        "name": "张三",
        "department": "销售部",
        "status": "active",
        "hired_at": "2025-03-01",
    }
    record.update(fields)
    return record


def encode(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def snapshot_problems(doc: Any) -> list[Problem]:
    data = doc if isinstance(doc, bytes) else encode(doc)
    with pytest.raises(InputError) as raised:
        decode_snapshot(data)
    return raised.value.problems


def directory_problems(doc: Any) -> list[Problem]:
    with pytest.raises(InputError) as raised:
        decode_directory(encode(doc))
    return raised.value.problems


# --- what is accepted --------------------------------------------------------------------


def test_a_minimal_snapshot_loads_with_the_documented_defaults() -> None:
    # GIVEN a snapshot with only the required fields
    data = encode(snapshot_doc())
    # WHEN decoding it
    snapshot = decode_snapshot(data)
    # THEN it loads, the tenant is "default" and the group kind is "other"
    assert snapshot.tenant == "default"
    assert snapshot.group.effective_kind == "other"
    assert (snapshot.group.id, snapshot.group.name, snapshot.platform) == (
        "grp-sales",
        "销售部工作群",
        "dingtalk",
    )
    assert snapshot.taken_at.isoformat() == "2026-11-20T18:00:00+08:00"
    assert (snapshot.members, snapshot.messages, snapshot.files) == (None, None, None)


def test_null_in_every_optional_field_is_accepted() -> None:
    # GIVEN a snapshot in which every optional field, at every level, is null
    doc = snapshot_doc(
        tenant_id=None,
        group={
            "id": "grp-sales",
            "name": "销售部工作群",
            **dict.fromkeys(
                [
                    "kind",
                    "department",
                    "owner_id",
                    "admin_ids",
                    "created_by",
                    "created_at",
                    "exempt_member_ids",
                    "allowed_external_ids",
                ],
            ),
        },
        members=[
            {"id": "u-zhang", "display_name": "销售部+张三", "role": None, "joined_at": None, "is_bot": None}
        ],
        messages=[
            message(
                "m-1",
                **dict.fromkeys(
                    [
                        "type",
                        "text",
                        "reply_to_id",
                        "thread_id",
                        "mentions",
                        "mention_all",
                        "file_id",
                        "urgent",
                    ]
                ),
            )
        ],
        files=[
            {
                "id": "f-1",
                "name": "合同.pdf",
                "uploaded_at": "2026-11-02T11:00:00Z",
                **dict.fromkeys(
                    [
                        "uploader_id",
                        "updated_at",
                        "last_accessed_at",
                        "size_bytes",
                        "sha256",
                        "expires_at",
                        "important",
                        "folder",
                        "download_url",
                    ],
                ),
            }
        ],
    )
    # WHEN decoding it
    snapshot = decode_snapshot(encode(doc))
    # THEN it loads and the documented defaults apply
    assert snapshot.tenant == "default"
    assert snapshot.group.effective_kind == "other"
    assert snapshot.members is not None and snapshot.messages is not None and snapshot.files is not None
    assert [m.id for m in snapshot.members] == ["u-zhang"]
    assert [(m.id, m.type, m.mentions) for m in snapshot.messages] == [("m-1", None, None)]
    assert [(f.id, f.sha256, f.size_bytes) for f in snapshot.files] == [("f-1", None, None)]


def test_unknown_fields_are_ignored_at_every_level() -> None:
    # GIVEN unknown fields at the top, in the group and in a message
    doc = snapshot_doc(
        exported_by="script v9",
        group={"id": "grp-sales", "name": "销售部工作群", "kind": "department", "colour": "red"},
        messages=[message("m-1", reactions=[{"emoji": "👍"}])],
    )
    # WHEN decoding it
    snapshot = decode_snapshot(encode(doc))
    # THEN the known fields load and the unknown ones are dropped
    assert snapshot.group.effective_kind == "department"
    assert snapshot.messages is not None
    assert [m.id for m in snapshot.messages] == ["m-1"]
    assert not hasattr(snapshot.messages[0], "reactions")


def test_timestamps_in_utc_and_with_an_offset_are_accepted() -> None:
    # GIVEN a message time in Z form and another in +08:00 form
    doc = snapshot_doc(
        messages=[
            message("m-1", sent_at="2026-11-20T02:00:00Z"),
            message("m-2", sent_at="2026-11-20T10:00:00+08:00"),
        ]
    )
    # WHEN decoding it
    snapshot = decode_snapshot(encode(doc))
    # THEN both are the same instant
    assert snapshot.messages is not None
    assert snapshot.messages[0].sent_at == snapshot.messages[1].sent_at


def test_load_snapshot_reads_a_file(tmp_path: Path) -> None:
    # GIVEN a snapshot file
    path = tmp_path / "snapshot.json"
    path.write_bytes(encode(snapshot_doc(tenant_id="acme", messages=[message("m-1")])))
    # WHEN loading it
    snapshot = load_snapshot(path)
    # THEN its contents are read
    assert snapshot.messages is not None
    assert (snapshot.tenant, [m.id for m in snapshot.messages]) == ("acme", ["m-1"])


def test_load_snapshot_reports_a_missing_file(tmp_path: Path) -> None:
    # GIVEN a path with no file
    path = tmp_path / "nope.json"
    # WHEN loading it
    with pytest.raises(InputError) as raised:
        load_snapshot(path)
    # THEN the error names the file and says it was not found
    assert raised.value.source == str(path)
    assert raised.value.problems == [Problem("", "snapshot file not found")]


# --- one problem, named ------------------------------------------------------------------


def test_a_timestamp_without_offset_names_path_record_and_why() -> None:
    # GIVEN a second message whose time has no UTC offset
    doc = snapshot_doc(messages=[message("m-0"), message("m-1", sent_at="2026-11-20T10:00:00")])
    # WHEN decoding it
    problems = snapshot_problems(doc)
    # THEN the problem names the field, the record, and says the offset is missing
    assert problems == [Problem("messages[1].sent_at", NO_OFFSET, "m-1")]
    assert str(problems[0]) == f"messages[1].sent_at (id 'm-1'): {NO_OFFSET}"


def test_a_header_timestamp_without_offset_is_an_error() -> None:
    # GIVEN taken_at with no offset
    doc = snapshot_doc(taken_at="2026-11-20T18:00:00")
    # WHEN decoding it
    problems = snapshot_problems(doc)
    # THEN the problem names the header field
    assert problems == [Problem("taken_at", NO_OFFSET)]


def test_an_empty_id_is_reported_with_its_path() -> None:
    # GIVEN a member with an empty id
    doc = snapshot_doc(members=[{"id": "", "display_name": "销售部+张三"}])
    # WHEN decoding it
    problems = snapshot_problems(doc)
    # THEN the problem names the id field (the record has no id to name)
    assert problems == [Problem("members[0].id", "Expected 'str' of length >= 1")]


def test_an_empty_sender_id_is_reported_with_the_message_id() -> None:
    # GIVEN a message with an empty sender id
    doc = snapshot_doc(messages=[message("m-1", sender_id="")])
    # WHEN decoding it
    problems = snapshot_problems(doc)
    # THEN the problem names the field and the message
    assert problems == [Problem("messages[0].sender_id", "Expected 'str' of length >= 1", "m-1")]


def test_a_wrong_enum_value_is_reported_with_path_and_record() -> None:
    # GIVEN a message of type "foo"
    doc = snapshot_doc(messages=[message("m-1", type="foo")])
    # WHEN decoding it
    problems = snapshot_problems(doc)
    # THEN the problem names the field, the record and the value
    assert problems == [Problem("messages[0].type", "Invalid enum value 'foo'", "m-1")]


def test_a_wrong_type_is_reported_with_path_and_record() -> None:
    # GIVEN a member whose is_bot is a string
    doc = snapshot_doc(members=[{"id": "u-1", "display_name": "销售部+张三", "is_bot": "yes"}])
    # WHEN decoding it
    problems = snapshot_problems(doc)
    # THEN the problem names the field, the record and the expected type
    assert problems == [Problem("members[0].is_bot", "Expected 'bool | null', got 'str'", "u-1")]


def test_a_missing_required_field_is_reported_with_record_and_field() -> None:
    # GIVEN a file with no upload time
    doc = snapshot_doc(files=[{"id": "f-1", "name": "合同.pdf"}])
    # WHEN decoding it
    problems = snapshot_problems(doc)
    # THEN the problem names the record and the missing field
    assert problems == [Problem("files[0]", "Object missing required field 'uploaded_at'", "f-1")]


def test_messages_that_are_not_a_list_are_reported() -> None:
    # GIVEN messages written as one object
    doc = snapshot_doc(messages=message("m-1"))
    # WHEN decoding it
    problems = snapshot_problems(doc)
    # THEN the problem names the field and the expected type
    assert problems == [Problem("messages", "Expected 'array | null', got 'object'")]


def test_a_bad_sha256_is_reported_with_the_file_id() -> None:
    # GIVEN a file hash in upper case
    doc = snapshot_doc(
        files=[{"id": "f-1", "name": "合同.pdf", "uploaded_at": "2026-11-02T11:00:00Z", "sha256": "AB"}]
    )
    # WHEN decoding it
    problems = snapshot_problems(doc)
    # THEN the problem names the field, the file and the expected form
    assert problems == [Problem("files[0].sha256", "Expected 'str' matching regex '^[0-9a-f]{64}$'", "f-1")]


# --- many problems -----------------------------------------------------------------------


def test_several_bad_records_give_one_problem_each() -> None:
    # GIVEN three messages, each wrong in its own way, and a good one between them
    doc = snapshot_doc(
        messages=[
            message("m-1", sent_at="2026-11-20T10:00:00"),
            message("m-ok"),
            message("m-2", type="foo"),
            {"id": "m-3", "sent_at": "2026-11-20T10:00:00+08:00"},
        ]
    )
    # WHEN decoding it
    problems = snapshot_problems(doc)
    # THEN every bad record is reported, in order
    assert problems == [
        Problem("messages[0].sent_at", NO_OFFSET, "m-1"),
        Problem("messages[2].type", "Invalid enum value 'foo'", "m-2"),
        Problem("messages[3]", "Object missing required field 'sender_id'", "m-3"),
    ]


def test_several_bad_fields_of_one_record_are_all_reported() -> None:
    # GIVEN one message with three bad fields
    doc = snapshot_doc(messages=[message("m-1", sender_id="", sent_at="2026-11-20T10:00:00", type="foo")])
    # WHEN decoding it
    problems = snapshot_problems(doc)
    # THEN each field has its own problem
    assert problems == [
        Problem("messages[0].sender_id", "Expected 'str' of length >= 1", "m-1"),
        Problem("messages[0].sent_at", NO_OFFSET, "m-1"),
        Problem("messages[0].type", "Invalid enum value 'foo'", "m-1"),
    ]


def test_problems_in_the_header_and_in_records_are_reported_together() -> None:
    # GIVEN an unknown platform and a bad member
    doc = snapshot_doc(platform="teams", members=[{"id": "u-1", "display_name": "x", "role": "boss"}])
    # WHEN decoding it
    problems = snapshot_problems(doc)
    # THEN the header problem comes first, then the record's
    assert problems == [
        Problem("platform", "Invalid enum value 'teams'"),
        Problem("members[0].role", "Invalid enum value 'boss'", "u-1"),
    ]


def test_duplicate_message_ids_are_an_error_naming_the_id() -> None:
    # GIVEN two messages with the same id
    doc = snapshot_doc(messages=[message("m-1"), message("m-2"), message("m-1", text="again")])
    # WHEN decoding it
    problems = snapshot_problems(doc)
    # THEN the duplicate id is named
    assert problems == [Problem("messages[].id", "duplicate id (appears 2 times); ids must be unique", "m-1")]


def test_invalid_json_names_line_and_column() -> None:
    # GIVEN JSON with a missing value on its second line
    data = b'{"schema_version": 1,\n "platform": }'
    # WHEN decoding it
    problems = snapshot_problems(data)
    # THEN the problem gives the line and column
    assert problems == [Problem("", "invalid JSON at line 2, column 14: Expecting value")]


def test_a_top_level_array_is_refused() -> None:
    # GIVEN a JSON array instead of an object
    data = encode([snapshot_doc()])
    # WHEN decoding it
    problems = snapshot_problems(data)
    # THEN the problem says an object is expected
    assert problems == [Problem("", "expected a JSON object at the top level, got an array")]


# --- the CLI on bad input ----------------------------------------------------------------


def write_bad_snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "bad.json"
    doc = snapshot_doc(messages=[message("m-1", sent_at="2026-11-20T10:00:00"), message("m-2", type="foo")])
    path.write_bytes(encode(doc))
    return path


def test_cli_audit_of_a_bad_snapshot_exits_2_with_every_problem_and_no_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a snapshot with two bad messages
    path = write_bad_snapshot(tmp_path)
    # WHEN auditing it with JSON output
    status = main(["audit", str(path), "--format", "json"])
    # THEN it exits 2, prints no partial report, and names each problem on stderr without a traceback
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err == (
        f"error: {path} is invalid (2 problem(s)):\n"
        f"  - messages[0].sent_at (id 'm-1'): {NO_OFFSET}\n"
        "  - messages[1].type (id 'm-2'): Invalid enum value 'foo'\n"
    )
    assert "Traceback" not in err


def test_cli_audit_of_a_bad_directory_exits_2_before_auditing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a good snapshot and a directory with a bad status
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_bytes(encode(snapshot_doc()))
    directory = tmp_path / "directory.json"
    directory.write_bytes(encode(directory_doc(person("u-1", status="retired"))))
    # WHEN auditing with that directory
    status = main(["audit", str(snapshot), "--directory", str(directory), "--format", "json"])
    # THEN it exits 2 with the directory's problem and no report
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err == (
        f"error: {directory} is invalid (1 problem(s)):\n"
        "  - people[0].status (id 'u-1'): Invalid enum value 'retired'\n"
    )


def test_the_installed_command_exits_2_on_a_bad_snapshot_without_a_traceback(tmp_path: Path) -> None:
    # GIVEN a snapshot with two bad messages
    path = write_bad_snapshot(tmp_path)
    # WHEN running the installed groupaudit command on it
    result = subprocess.run(
        [str(GROUPAUDIT), "audit", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # THEN the process exits 2 with both problems on stderr and nothing on stdout
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert f"messages[0].sent_at (id 'm-1'): {NO_OFFSET}" in result.stderr
    assert "messages[1].type (id 'm-2'): Invalid enum value 'foo'" in result.stderr


# --- the directory -----------------------------------------------------------------------


def test_a_valid_directory_loads() -> None:
    # GIVEN a directory with one person, departments and leaders
    doc = directory_doc(person("u-zhang", left_at=None))
    doc.update(departments=[{"name": "销售部", "head_id": "u-head"}], leader_ids=["u-ceo"])
    # WHEN decoding it
    directory = decode_directory(encode(doc))
    # THEN the people and their dates are read
    assert directory.departments is not None
    assert [(p.id, p.status, p.hired_at and p.hired_at.isoformat(), p.left_at) for p in directory.people] == [
        ("u-zhang", "active", "2025-03-01", None)
    ]
    assert [(d.name, d.head_id) for d in directory.departments] == [("销售部", "u-head")]


def test_duplicate_person_ids_are_an_error_naming_the_id() -> None:
    # GIVEN two people with the same id
    doc = directory_doc(person("u-zhang"), person("u-li"), person("u-zhang", name="张三丰"))
    # WHEN decoding it
    problems = directory_problems(doc)
    # THEN the duplicate id is named
    assert problems == [
        Problem("people[].id", "duplicate id (appears 2 times); ids must be unique", "u-zhang")
    ]


def test_a_status_other_than_active_or_departed_is_reported() -> None:
    # GIVEN a person whose status is "retired"
    doc = directory_doc(person("u-ok"), person("u-zhang", status="retired"))
    # WHEN decoding it
    problems = directory_problems(doc)
    # THEN the problem names the field, the person and the value
    assert problems == [Problem("people[1].status", "Invalid enum value 'retired'", "u-zhang")]


def test_a_bad_hired_at_date_is_reported() -> None:
    # GIVEN a person hired in the thirteenth month
    doc = directory_doc(person("u-zhang", hired_at="2025-13-01"))
    # WHEN decoding it
    problems = directory_problems(doc)
    # THEN the problem names the field and the person
    assert problems == [Problem("people[0].hired_at", "Invalid RFC3339 encoded date", "u-zhang")]


def test_several_bad_people_are_all_reported() -> None:
    # GIVEN a bad status, a bad date and a missing name in three people
    doc = directory_doc(
        person("u-1", status="retired"),
        person("u-2", hired_at="yesterday"),
        {"id": "u-3"},
    )
    # WHEN decoding it
    problems = directory_problems(doc)
    # THEN each person has its problem
    assert problems == [
        Problem("people[0].status", "Invalid enum value 'retired'", "u-1"),
        Problem("people[1].hired_at", "Invalid RFC3339 encoded date", "u-2"),
        Problem("people[2]", "Object missing required field 'name'", "u-3"),
    ]


def test_a_directory_without_people_is_refused() -> None:
    # GIVEN a directory with no people list
    doc = {"schema_version": 1, "tenant_id": "acme"}
    # WHEN decoding it
    problems = directory_problems(doc)
    # THEN the missing field is named
    assert problems == [Problem("", "Object missing required field 'people'")]


def test_every_problem_in_the_group_is_reported() -> None:
    # GIVEN a group with an empty id and an unknown kind
    doc = snapshot_doc(group={"id": "", "name": "x", "kind": "club"})
    # WHEN the snapshot is decoded
    problems = snapshot_problems(doc)
    # THEN both fields are named
    assert problems == [
        Problem("group.id", "Expected 'str' of length >= 1"),
        Problem("group.kind", "Invalid enum value 'club'"),
    ]


def test_duplicate_ids_are_reported_together_with_other_problems() -> None:
    # GIVEN a duplicate message id and, elsewhere, a timestamp without an offset
    doc = snapshot_doc(messages=[message("m1"), message("m1"), message("m2", sent_at="2026-11-20T10:00:00")])
    # WHEN decoded
    problems = snapshot_problems(doc)
    # THEN both are reported in one go
    located = [(p.path, p.record_id) for p in problems]
    assert located == [("messages[2].sent_at", "m2"), ("messages[].id", "m1")]
