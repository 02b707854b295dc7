"""The registry of rules: one module per rule, each with a ``RULE`` spec that carries its id,
config model, policy clause, check, summaries, table evidence, notice mentions, message
lookback and examples (``rules/base.py``). The engine, the renderers, the policy schema and
``docs/RULES.md`` read only this registry; ``docs/ADDING_A_RULE.md`` says how to add a rule."""

from __future__ import annotations

from typing import Any

from groupaudit.rules import (
    departed_member,
    file_naming,
    flooding,
    group_governance,
    inactive_member,
    name_format,
    off_hours_post,
    onboarding_gap,
    outsider_member,
    overdue_reply,
    pii_exposure,
    prohibited_content,
    stale_file,
    unbacked_document,
)
from groupaudit.rules.base import RuleSpec

MODULES = (
    inactive_member,
    stale_file,
    overdue_reply,
    unbacked_document,
    name_format,
    departed_member,
    outsider_member,
    onboarding_gap,
    group_governance,
    file_naming,
    flooding,
    prohibited_content,
    pii_exposure,
    off_hours_post,
)
REGISTRY: dict[str, RuleSpec] = {module.RULE.id: module.RULE for module in MODULES}


def messages_lookback_days(policy: Any) -> int:
    """The most days of messages a rule of this (effective) policy needs to judge, enabled or
    not (a group's pull window does not shrink when a profile turns a rule off)."""
    needs = [spec.lookback_days(policy.rule(spec.id)) for spec in REGISTRY.values() if spec.lookback_days]
    return max(needs, default=1)


__all__ = ["REGISTRY", "RuleSpec", "messages_lookback_days"]
