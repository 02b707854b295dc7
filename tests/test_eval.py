"""The evaluation harness (eval/run.py) scores what it should: a tiny corpus made here, with one
question answered in time, one never answered and one that is not a question at all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RUN = REPO / "eval" / "run.py"
NOW = "2026-11-20T18:00:00+08:00"


def _message(mid: str, sender: str, at: str, text: str) -> dict:
    return {"id": mid, "sender_id": sender, "sent_at": f"2026-11-20T{at}:00+08:00", "text": text}


def _write_corpus(root: Path, questions: list[dict], inactive: dict | None = None) -> Path:
    """A sales group: 张三 (u-zhang) asks two work questions, his head u-head answers one."""
    folder = root / "tiny"
    folder.mkdir(parents=True)
    snapshot = {
        "schema_version": 1,
        "platform": "generic",
        "taken_at": NOW,
        "messages_since": "2026-11-01T00:00:00+08:00",
        "group": {"id": "grp-sales", "name": "销售部工作群", "kind": "department", "department": "销售部"},
        "members": [
            {"id": "u-zhang", "display_name": "销售部+张三", "joined_at": "2026-11-01T09:00:00+08:00"},
            {"id": "u-head", "display_name": "销售部+王经理", "joined_at": "2026-11-01T09:00:00+08:00"},
        ],
        "messages": [
            _message("m-1", "u-zhang", "10:00", "请问这个月的报价单模板在哪里？"),
            _message("m-2", "u-head", "10:05", "在群文件的报价文件夹里"),
            _message("m-3", "u-zhang", "14:00", "客户要的样品什么时候能寄出？"),
            _message("m-4", "u-zhang", "15:00", "今天的拜访记录已经上传了"),
        ],
        "files": [],
    }
    directory = {
        "schema_version": 1,
        "people": [
            {"id": "u-zhang", "name": "张三", "department": "销售部", "status": "active"},
            {"id": "u-head", "name": "王经理", "department": "销售部", "status": "active"},
        ],
        "departments": [{"name": "销售部", "head_id": "u-head"}],
        "leader_ids": [],
    }
    labels = {
        "corpus": "tiny",
        "language": "zh",
        "now": NOW,
        "rules": ["overdue_reply", "inactive_member"],
        "questions": questions,
        "inactive": inactive or {"members": {"u-zhang": {"inactive": False}, "u-head": {"inactive": False}}},
    }
    (folder / "snapshot.json").write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
    (folder / "directory.json").write_text(json.dumps(directory, ensure_ascii=False), encoding="utf-8")
    (folder / "labels.json").write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
    return root


def _owed(in_time: bool, answer: str | None) -> list[dict]:
    owed = {"person": "u-head", "kind": "direct_question", "answered_by_message_id": answer}
    return [{**owed, "in_time": in_time}]


TRUE_LABELS = [
    {"message_id": "m-1", "is_question": True, "owed_by": _owed(True, "m-2"), "why": "answered in 5 min"},
    {"message_id": "m-3", "is_question": True, "owed_by": _owed(False, None), "why": "nobody answered"},
    {"message_id": "m-4", "is_question": False, "owed_by": [], "why": "a report, no question"},
]


def _run(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN), "--corpora", str(root), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_labels_that_match_the_audit_score_one_and_pass(tmp_path: Path) -> None:
    # GIVEN a corpus whose one overdue question (m-3, owed by the head) is labelled as such
    root = _write_corpus(tmp_path, TRUE_LABELS)
    # WHEN the harness scores it
    result = _run(root)
    # THEN the single finding is the expected one: precision and recall 1.00, exit 0
    assert result.stdout.splitlines() == [
        "eval: corpus=tiny questions=2 findings=1 precision=1.00 recall=1.00"
    ], result.stderr
    assert result.returncode == 0


def test_a_finding_the_labels_do_not_expect_lowers_precision(tmp_path: Path) -> None:
    # GIVEN labels that say m-3 was answered in time (so the audit's finding on it is false)
    labels = [dict(q) for q in TRUE_LABELS]
    labels[1] = {**labels[1], "owed_by": _owed(True, "m-4")}
    root = _write_corpus(tmp_path, labels)
    # WHEN scored
    result = _run(root, "--no-fail")
    lines = result.stdout.splitlines()
    # THEN precision drops to 0, recall stays 1.00 (nothing expected), and the fp is named
    assert lines[0] == "eval: corpus=tiny questions=2 findings=1 precision=0.00 recall=1.00"
    assert lines[1].startswith("  fp overdue_reply m-3 u-head direct_question: ")
    assert result.returncode == 0  # --no-fail


def test_an_expected_finding_the_audit_misses_lowers_recall_and_fails(tmp_path: Path) -> None:
    # GIVEN labels expecting, besides m-3, an inactive member the audit cannot find (u-head posted)
    inactive = {"members": {"u-zhang": {"inactive": False}, "u-head": {"inactive": True, "why": "planted"}}}
    root = _write_corpus(tmp_path, TRUE_LABELS, inactive)
    # WHEN scored
    result = _run(root)
    lines = result.stdout.splitlines()
    # THEN recall is 1 of 2, precision stays 1.00, the miss is named, and the target fails the run
    assert lines == [
        "eval: corpus=tiny questions=2 findings=1 precision=1.00 recall=0.50",
        "  fn inactive_member u-head: planted",
    ]
    assert result.returncode == 1


def test_a_corpus_without_its_data_is_skipped_with_the_reason(tmp_path: Path) -> None:
    # GIVEN a corpus whose snapshot is built by convert.py from a raw export that is not here
    root = _write_corpus(tmp_path, TRUE_LABELS)
    (root / "tiny" / "snapshot.json").unlink()
    (root / "tiny" / "convert.py").write_text("# builds snapshot.json from the raw export\n")
    # WHEN the harness runs
    result = _run(root)
    # THEN it says why it skipped, and a skip is not a failure
    assert result.stdout.splitlines() == [
        "eval: corpus=tiny skipped: no snapshot.json (build it with convert.py from the raw export, "
        "see the corpus README)"
    ]
    assert result.returncode == 0


@pytest.mark.parametrize(("broken", "problem"), [("now", "missing 'now'"), ("rules", "missing 'rules'")])
def test_malformed_labels_are_refused_naming_the_problem(tmp_path: Path, broken: str, problem: str) -> None:
    # GIVEN labels missing a required key
    root = _write_corpus(tmp_path, TRUE_LABELS)
    path = root / "tiny" / "labels.json"
    labels = json.loads(path.read_text(encoding="utf-8"))
    del labels[broken]
    path.write_text(json.dumps(labels), encoding="utf-8")
    # WHEN the harness runs
    result = _run(root)
    # THEN it exits 2 and names the file and the key
    assert result.returncode == 2
    assert problem in result.stderr and "labels.json" in result.stderr
