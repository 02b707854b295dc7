"""Due times of labelled questions, on the corpus's own business calendar (a labelling aid).

    .venv/bin/python eval/due.py eval/corpora/NAME m-0075:public_question m-0227:public_question

prints, per message, when it was asked, when the kind's deadline falls (business minutes of
the corpus policy, or wall minutes if its policy says ``sla_clock: wall``) and, with
``--answered m-0071``, whether that answer came by then. Labels are decided by reading the
conversation; this only does the clock arithmetic the labeller would otherwise do by hand.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

from groupaudit.businesstime import WallClock
from groupaudit.policy import load_policy

DEADLINES = {"direct_question": 20, "leader_request": 30, "public_question": 30, "mention": 240}


def clock_for(corpus: Path):
    policy_file = corpus / "policy.yaml"
    policy = load_policy(policy_file if policy_file.is_file() else None).for_group("other", "-")
    config = policy.rule("overdue_reply")
    deadlines = config.deadlines_minutes.model_dump()
    if config.sla_clock == "wall":
        return WallClock(policy.calendar.zone), deadlines, policy.calendar.zone
    return policy.business_calendar, deadlines, policy.calendar.zone


def _local(ts: float, zone: object) -> str:
    return f"{datetime.fromtimestamp(ts, zone):%Y-%m-%d %H:%M}"  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="due times of labelled questions")
    parser.add_argument("corpus", type=Path)
    parser.add_argument("items", nargs="+", metavar="MESSAGE:KIND[:ANSWER]")
    args = parser.parse_args(argv)
    snapshot = json.loads((args.corpus / "snapshot.json").read_text(encoding="utf-8"))
    sent = {m["id"]: datetime.fromisoformat(m["sent_at"]) for m in snapshot["messages"]}
    clock, deadlines, zone = clock_for(args.corpus)
    for item in args.items:
        message_id, kind, *answer = item.split(":")
        asked = sent[message_id].timestamp()
        due = clock.instant(clock.position(asked) + deadlines.get(kind, DEADLINES[kind]) * 60)
        line = f"{message_id} {kind}: asked {_local(asked, zone)} due {_local(due, zone)}"
        if answer:
            at = sent[answer[0]].timestamp()
            verdict = "in time" if at <= due else "LATE"
            line += f"; {answer[0]} at {_local(at, zone)} -> {verdict}"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
