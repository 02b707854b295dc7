"""The registry of rules: one module per rule, each with its id, config model, policy clause
and a pure check. The policy schema and the docs table are generated from this registry."""

from __future__ import annotations

from groupaudit.rules import inactive_member, overdue_reply, stale_file, unbacked_document
from groupaudit.rules.base import RuleSpec

REGISTRY: dict[str, RuleSpec] = {
    module.RULE.id: module.RULE for module in (inactive_member, stale_file, overdue_reply, unbacked_document)
}

__all__ = ["REGISTRY", "RuleSpec"]
