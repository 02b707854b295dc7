"""No false alarms on real conversations: flooding, prohibited_content and pii_exposure find
nothing in the labelled real corpora of `make eval` (none of them holds a flood, an advert, an
insult or personal data), though each corpus gives the rules something to consider."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from groupaudit.engine import AuditContext
from groupaudit.rules.flooding import _windows
from groupaudit.rules.messagescan import message_scan
from groupaudit.service import audit_snapshot, load_local_inputs

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("eval_run", REPO / "eval" / "run.py")
assert _spec is not None and _spec.loader is not None
EVAL = sys.modules.setdefault("eval_run", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(EVAL)  # registered first: its dataclasses look their module up
CORPORA = sorted(p for p in (REPO / "eval" / "corpora").iterdir() if (p / "labels.json").is_file())
MUST_BE_QUIET = ("flooding", "prohibited_content", "pii_exposure")


def _audit(folder: Path):
    labels = EVAL.load_labels(folder)
    try:
        snapshot = EVAL.load_snapshot(folder, labels)
    except EVAL.Skipped as why:
        pytest.skip(f"{folder.name}: {why}")
    directory, policy = folder / "directory.json", folder / "policy.yaml"
    inputs = load_local_inputs(
        policy if policy.is_file() else None, directory if directory.is_file() else None, None
    )
    report = audit_snapshot(
        snapshot, policies=inputs.policies, directory=inputs.directory, now=labels["now"], lang="en"
    )
    ctx = AuditContext(
        snapshot=snapshot,
        policy=inputs.policies.for_group(snapshot.group.kind, snapshot.group.id),
        now=labels["now"],
        directory=inputs.directory,
    )
    return report, ctx


@pytest.mark.parametrize("folder", CORPORA, ids=[p.name for p in CORPORA])
def test_the_message_rules_raise_no_false_alarm_on_a_real_conversation(folder):
    # GIVEN a labelled real conversation
    # WHEN audited as `make eval` audits it
    report, ctx = _audit(folder)
    # THEN flooding, prohibited_content and pii_exposure ran and found nothing
    assert set(MUST_BE_QUIET) <= set(report.rules_run)
    assert [(f.rule, f.subject_id, f.message_id) for f in report.findings if f.rule in MUST_BE_QUIET] == []
    # AND the corpus did give them something to judge: bursts of one sender's messages (three
    # within two minutes), links, or texts to scan
    scan = message_scan(ctx)
    bursts = sum(
        len(_windows([entry[0] for entry in ctx.messages_of(sender)], 3, 120))
        for sender in {entry[2].sender_id for entry in scan.entries}
    )
    assert len(scan.entries) > 20 and (bursts > 0 or scan.links)
