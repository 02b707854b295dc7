"""Build contract documents for tests, and audit them through the real decoding path."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from groupaudit.contracts import BackupIndex, Report
from groupaudit.engine import AuditContext, run_audit
from groupaudit.loading import decode_directory, decode_snapshot
from groupaudit.policy import PolicySet, parse_policy

TAKEN_AT = "2026-11-20T18:00:00+08:00"  # a Friday

# The directory of the overdue_reply stories: a school's departments, heads and leader.
# 教务处: head h-jw 周杰, staff s1 张伟, s2 李娜 (nickname 影子); 行政中心: head h-admin 余敏;
# leader ceo 王刚.
SCHOOL_DIRECTORY: dict[str, Any] = {
    "schema_version": 1,
    "tenant_id": "acme",
    "people": [
        {"id": "s1", "name": "张伟", "department": "教务处", "status": "active"},
        {"id": "s2", "name": "李娜", "department": "教务处", "status": "active"},
        {"id": "h-jw", "name": "周杰", "department": "教务处", "status": "active"},
        {"id": "h-admin", "name": "余敏", "department": "行政中心", "status": "active"},
        {"id": "ceo", "name": "王刚", "department": "总经办", "status": "active"},
    ],
    "departments": [
        {"name": "教务处", "head_id": "h-jw"},
        {"name": "行政中心", "head_id": "h-admin"},
        {"name": "总经办", "head_id": "ceo"},
    ],
    "leader_ids": ["ceo"],
    "admin_center_department": "行政中心",
}


def school_directory(
    people: list[dict[str, Any]] | None = None, departments: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """SCHOOL_DIRECTORY with more people and departments (appended after its own)."""
    return {
        **SCHOOL_DIRECTORY,
        "people": [*SCHOOL_DIRECTORY["people"], *(people or ())],
        "departments": [*SCHOOL_DIRECTORY["departments"], *(departments or ())],
    }


def member(member_id: str, name: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"id": member_id, "display_name": name or member_id, **fields}


def message(
    message_id: str, sender: str, sent_at: str, text: str | None = None, **fields: Any
) -> dict[str, Any]:
    return {"id": message_id, "sender_id": sender, "sent_at": sent_at, "text": text, **fields}


def file(file_id: str, name: str, uploaded_at: str, **fields: Any) -> dict[str, Any]:
    return {"id": file_id, "name": name, "uploaded_at": uploaded_at, **fields}


def snapshot(
    members: list[dict] | None = None,
    messages: list[dict] | None = None,
    files: list[dict] | None = None,
    *,
    kind: str = "department",
    group_id: str = "grp-test",
    taken_at: str = TAKEN_AT,
    messages_since: str | None = None,
    **group_fields: Any,
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "platform": "generic",
        "tenant_id": "acme",
        "taken_at": taken_at,
        **({"messages_since": messages_since} if messages_since else {}),
        "group": {"id": group_id, "name": "测试群", "kind": kind, **group_fields},
        "members": members or [],
        "messages": messages or [],
        "files": files or [],
    }


def directory(
    people: list[tuple[str, str]],
    heads: dict[str, str],
    leaders: tuple[str, ...] = (),
    admin_center: str = "行政中心",
) -> dict[str, Any]:
    """people: (id, department) pairs; heads: department -> head id."""
    return {
        "schema_version": 1,
        "tenant_id": "acme",
        "people": [{"id": pid, "name": pid, "department": dept, "status": "active"} for pid, dept in people],
        "departments": [{"name": dept, "head_id": head} for dept, head in heads.items()],
        "leader_ids": list(leaders),
        "admin_center_department": admin_center,
    }


def policy(rules: dict[str, Any] | None = None, **layers: Any) -> PolicySet:
    document: dict[str, Any] = {"version": 1, **layers}
    if rules:
        document.setdefault("defaults", {})["rules"] = rules
    return parse_policy(document, "test policy")


def audit(
    snap: dict[str, Any],
    *,
    directory_doc: dict[str, Any] | None = None,
    policies: PolicySet | None = None,
    now: str | None = None,
    backups: set[str] | None = None,
    lang: str = "zh",
    first_notified: dict[str, datetime] | None = None,
    fetched_hashes: dict[str, str] | None = None,
) -> Report:
    parsed = decode_snapshot(json.dumps(snap, ensure_ascii=False).encode())
    policies = policies or policy()
    ctx = AuditContext(
        snapshot=parsed,
        policy=policies.for_group(parsed.group.kind, parsed.group.id),
        now=datetime.fromisoformat(now) if now else parsed.taken_at,
        directory=decode_directory(json.dumps(directory_doc).encode()) if directory_doc else None,
        backups=BackupIndex(frozenset(backups), "test store") if backups is not None else None,
        fetched_hashes=fetched_hashes or {},
        first_notified=first_notified or {},
        lang=lang,
    )
    return run_audit(ctx)


def of_rule(report: Report, rule: str) -> list:
    return [f for f in report.findings if f.rule == rule]
