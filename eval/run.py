"""The evaluation harness: audit each hand-labelled corpus and score the findings against its labels.

    .venv/bin/python eval/run.py [--corpora DIR] [--no-fail] [NAME ...]

Each ``eval/corpora/<name>/`` holds ``labels.json`` and either ``snapshot.json`` or a
``source`` entry in the labels saying how to build the snapshot at run time from data the
project already has (``{"slack_export": "../shared/data/slack-export-sample", "channel":
"general"}``, the path relative to the repository root, read in place through the project's
own importer). ``directory.json`` and ``policy.yaml`` are used when present. The audit runs
through the same functions as ``groupaudit audit SNAPSHOT --directory ... --policy ... --now
NOW``, in-process, at the labels' ``now``; nothing is fetched from the network.

Scoring (see eval/README.md): expected = the (question, person) pairs labelled owed and not
answered in time, plus the members labelled inactive; found = the audit's ``overdue_reply``
findings as (message_id, subject_id) and its ``inactive_member`` findings' subject_id, for the
rules the corpus scores. Per corpus one line
``eval: corpus=NAME questions=Q findings=F precision=P recall=R``, then one indented line per
false positive / false negative. Exit 1 when a corpus misses precision >= 0.9 or recall >= 0.8
(unless --no-fail); exit 2 when a corpus is malformed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO / "eval" / "corpora"
SCORED_RULES = ("overdue_reply", "inactive_member")
TARGET_PRECISION = 0.9
TARGET_RECALL = 0.8


class CorpusError(Exception):
    """A corpus folder that cannot be scored as it is (names the file and the problem)."""


class Skipped(Exception):
    """A corpus whose data is not on this machine (e.g. a raw export we may not commit)."""


@dataclass(frozen=True)
class Expected:
    rule: str
    message_id: str | None
    person: str
    kind: str | None
    why: str


@dataclass
class Score:
    corpus: str
    questions: int
    findings: int
    true_positives: int
    expected: int
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return 1.0 if self.findings == 0 else self.true_positives / self.findings

    @property
    def recall(self) -> float:
        return 1.0 if self.expected == 0 else self.true_positives / self.expected

    @property
    def meets_target(self) -> bool:
        return self.precision >= TARGET_PRECISION and self.recall >= TARGET_RECALL

    def lines(self) -> list[str]:
        head = (
            f"eval: corpus={self.corpus} questions={self.questions} findings={self.findings} "
            f"precision={self.precision:.2f} recall={self.recall:.2f}"
        )
        return [head, *self.false_positives, *self.false_negatives]


# --- reading a corpus --------------------------------------------------------------------


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None


def load_labels(folder: Path) -> dict[str, Any]:
    path = folder / "labels.json"
    labels = _json(path)
    if not isinstance(labels, dict):
        raise CorpusError(f"{path}: expected a JSON object")
    for key in ("corpus", "now", "rules", "questions"):
        if key not in labels:
            raise CorpusError(f"{path}: missing {key!r}")
    unknown = [rule for rule in labels["rules"] if rule not in SCORED_RULES]
    if unknown:
        raise CorpusError(f"{path}: rules {unknown} are not scored here (only {list(SCORED_RULES)})")
    try:
        now = datetime.fromisoformat(labels["now"])
    except (TypeError, ValueError):
        raise CorpusError(f"{path}: 'now' is not an ISO 8601 timestamp: {labels['now']!r}") from None
    if now.tzinfo is None:
        raise CorpusError(f"{path}: 'now' has no UTC offset: {labels['now']!r}")
    labels["now"] = now
    for index, question in enumerate(labels["questions"]):
        where = f"{path}: questions[{index}]"
        if not question.get("message_id"):
            raise CorpusError(f"{where}: missing message_id")
        for owed in question.get("owed_by") or ():
            if not owed.get("person") or "in_time" not in owed:
                raise CorpusError(f"{where} ({question['message_id']}): owed_by needs person and in_time")
    return labels


def load_snapshot(folder: Path, labels: dict[str, Any]) -> Any:
    from groupaudit.loading import load_snapshot as read_snapshot

    source = labels.get("source")
    if source:
        return _snapshot_from_source(folder, source)
    path = folder / "snapshot.json"
    if not path.is_file():
        hint = (
            " (build it with convert.py from the raw export, see the corpus README)"
            if (folder / "convert.py").is_file()
            else ""
        )
        raise Skipped(f"no snapshot.json{hint}")
    return read_snapshot(path)


def _snapshot_from_source(folder: Path, source: dict[str, Any]) -> Any:
    if "slack_export" not in source:
        raise CorpusError(f"{folder / 'labels.json'}: source needs 'slack_export' (got {sorted(source)})")
    from groupaudit.connectors.slack_export import import_slack_export

    export = (REPO / source["slack_export"]).resolve()
    if not export.exists():
        raise Skipped(f"Slack export not found at {export}")
    taken_at = datetime.fromisoformat(source["taken_at"]) if source.get("taken_at") else None
    result = import_slack_export(
        export, channel=source.get("channel"), taken_at=taken_at, kind=source.get("kind")
    )
    if len(result.channels) != 1:
        raise CorpusError(f"{folder}: source names {len(result.channels)} channels, expected one")
    return result.channels[0].snapshot


# --- scoring -----------------------------------------------------------------------------


def expected_findings(labels: dict[str, Any]) -> list[Expected]:
    rules = labels["rules"]
    expected: list[Expected] = []
    if "overdue_reply" in rules:
        for question in labels["questions"]:
            if not question.get("is_question"):
                continue
            for owed in question.get("owed_by") or ():
                if not owed["in_time"]:
                    expected.append(
                        Expected(
                            "overdue_reply",
                            question["message_id"],
                            owed["person"],
                            owed.get("kind"),
                            question.get("why", ""),
                        )
                    )
    if "inactive_member" in rules:
        for person, label in ((labels.get("inactive") or {}).get("members") or {}).items():
            if label.get("inactive"):
                expected.append(Expected("inactive_member", None, person, None, label.get("why", "")))
    return expected


def score(name: str, labels: dict[str, Any], findings: Iterable[Any]) -> Score:
    rules = labels["rules"]
    scored = [f for f in findings if f.rule in rules]
    expected = expected_findings(labels)
    wanted = {(e.rule, e.message_id, e.person): e for e in expected}
    found = {(f.rule, f.message_id if f.rule == "overdue_reply" else None, f.subject_id): f for f in scored}
    true_positives = wanted.keys() & found.keys()
    result = Score(
        corpus=name,
        questions=sum(1 for q in labels["questions"] if q.get("is_question")),
        findings=len(found),
        true_positives=len(true_positives),
        expected=len(wanted),
    )
    for key in sorted(found.keys() - wanted.keys(), key=_order):
        finding = found[key]
        where = " ".join(part for part in (key[1], key[2], finding.kind) if part)
        result.false_positives.append(f"  fp {finding.rule} {where}: {_reason(finding)}")
    for key in sorted(wanted.keys() - found.keys(), key=_order):
        item = wanted[key]
        where = " ".join(part for part in (item.message_id, item.person, item.kind) if part)
        result.false_negatives.append(f"  fn {item.rule} {where}: {item.why}")
    return result


def _order(key: tuple[str, str | None, str]) -> tuple[str, str, str]:
    return key[0], key[1] or "", key[2]


def _reason(finding: Any) -> str:
    evidence = finding.evidence or {}
    details = [finding.summary]
    for key in ("because", "marker", "asked_at", "due_at", "replied_at"):
        if evidence.get(key) is not None:
            details.append(f"{key}={evidence[key]}")
    return "; ".join(details)


# --- running -----------------------------------------------------------------------------


def evaluate(folder: Path) -> Score:
    from groupaudit.service import audit_snapshot, load_local_inputs

    labels = load_labels(folder)
    snapshot = load_snapshot(folder, labels)
    directory = folder / "directory.json"
    policy = folder / "policy.yaml"
    inputs = load_local_inputs(
        policy if policy.is_file() else None, directory if directory.is_file() else None, None
    )
    report = audit_snapshot(
        snapshot, policies=inputs.policies, directory=inputs.directory, now=labels["now"], lang="en"
    )
    return score(labels.get("corpus") or folder.name, labels, report.findings)


def corpus_folders(root: Path, names: list[str]) -> list[Path]:
    if not root.is_dir():
        raise CorpusError(f"{root}: no such corpora folder")
    folders = sorted(p for p in root.iterdir() if (p / "labels.json").is_file())
    if names:
        missing = [n for n in names if not (root / n / "labels.json").is_file()]
        if missing:
            raise CorpusError(f"no corpus named {', '.join(missing)} under {root}")
        folders = [root / n for n in names]
    return folders


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="score the auditor against hand-labelled corpora")
    parser.add_argument("names", nargs="*", metavar="NAME", help="corpora to run (default: all)")
    parser.add_argument("--corpora", type=Path, default=CORPORA, help="folder of corpora")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when a target is missed")
    args = parser.parse_args(argv)
    from groupaudit.errors import GroupAuditError

    missed = False
    try:
        folders = corpus_folders(args.corpora, args.names)
        if not folders:
            print(f"eval: no corpora under {args.corpora}")
            return 0
        for folder in folders:
            try:
                result = evaluate(folder)
            except Skipped as why:
                print(f"eval: corpus={folder.name} skipped: {why}")
                continue
            for line in result.lines():
                print(line)
            missed = missed or not result.meets_target
    except (CorpusError, GroupAuditError) as exc:
        print(f"eval: error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    return 1 if missed and not args.no_fail else 0


if __name__ == "__main__":
    raise SystemExit(main())
