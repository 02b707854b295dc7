"""Run a rule's examples (``RuleSpec.examples``) through the real decoding path, the policy and
the engine: the docs show what they find, and ``tests/rules/test_examples.py`` checks it for
every rule. Beside the engine, not in ``rules/``: the rules import nothing that runs them."""

from __future__ import annotations

import json
from typing import Any

from groupaudit.contracts import BackupIndex, Report
from groupaudit.engine import AuditContext, run_audit
from groupaudit.loading import decode_directory, decode_snapshot
from groupaudit.policy import parse_policy
from groupaudit.rules.base import Example, RuleSpec

TAKEN_AT = "2026-11-20T18:00:00+08:00"  # a Friday, a working day
GROUP = {"id": "grp-example", "name": "示例群", "kind": "department", "department": "销售部"}


def example_snapshot(example: Example) -> dict[str, Any]:
    """The whole snapshot an example's fragment stands for."""
    fragment = dict(example.snapshot)
    return {
        "schema_version": 1,
        "platform": "generic",
        "tenant_id": "example",
        "taken_at": fragment.pop("taken_at", TAKEN_AT),
        "group": {**GROUP, **fragment.pop("group", {})},
        "members": fragment.pop("members", []),
        "messages": fragment.pop("messages", []),
        "files": fragment.pop("files", []),
        **fragment,
    }


def example_directory(example: Example) -> dict[str, Any] | None:
    if example.directory is None:
        return None
    return {"schema_version": 1, "tenant_id": "example", **example.directory}


def run_example(spec: RuleSpec, example: Example, lang: str = "zh") -> Report:
    """Audit the example with its rule alone, as of the snapshot's ``taken_at`` (a tenant-wide
    rule over a tenant of this one group)."""
    source = f"example of {spec.id}: {example.title}"
    snapshot = decode_snapshot(json.dumps(example_snapshot(example)).encode(), source)
    directory_doc = example_directory(example)
    directory = decode_directory(json.dumps(directory_doc).encode(), source) if directory_doc else None
    policies = parse_policy({"version": 1, "defaults": {"rules": {spec.id: dict(example.settings)}}}, source)
    ctx = AuditContext(
        snapshot=snapshot,
        policy=policies.for_group(snapshot.group.kind, snapshot.group.id),
        now=snapshot.taken_at,
        directory=directory,
        backups=BackupIndex(frozenset(example.backups), "example store") if spec.needs_backups else None,
        lang=lang,
    )
    report = run_audit(ctx, rules=[spec])
    if spec.tenant_wide:  # the example's group is the whole tenant
        from groupaudit.tenantwide import GroupView, merge_into, run_tenant_rules

        result = run_tenant_rules(
            GroupView.of(snapshot), policies=policies, directory=directory, lang=lang, snapshot=snapshot
        )
        report = merge_into(report, result)
    return report


Fact = tuple[str, str | None, str, str | None, str | None]


def _order(fact: Fact) -> tuple[str, ...]:
    return tuple(part or "" for part in fact)


def found(report: Report) -> list[Fact]:
    """(rule, kind, subject_id, message_id, file_id) of each finding, as acceptance tests compare."""
    facts = [(f.rule, f.kind, f.subject_id, f.message_id, f.file_id) for f in report.findings]
    return sorted(facts, key=_order)


def expected(spec: RuleSpec, example: Example) -> list[Fact]:
    facts = [(spec.id, e.kind, e.subject_id, e.message_id, e.file_id) for e in example.expect]
    return sorted(facts, key=_order)
