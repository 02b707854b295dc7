"""``overdue_reply`` alone, in process: its time on a bench snapshot, and its findings dumped for
comparison before and after a change (a report, not a test).

Time (the snapshot is read once; each run gets a fresh audit context whose timeline and business
calendar are built before the clock starts, as the engine's earlier rules would have built them;
wall and CPU seconds, best of ``--repeat``; the process's peak RSS, the snapshot included)::

    python bench/overdue_reply.py time --size 1000000 [--repeat 3] [--profile]

CPU seconds per phase (finding the candidate messages, reading who owes them, building the
answer indexes, judging the answers, building the findings)::

    python bench/overdue_reply.py phases --size 1000000 [--repeat 2]

Dump the rule's findings (id, kind, subject, message, severity, summary, evidence; zh and en)
as JSON lines, for the bench snapshots, the sample tenant and the evaluation corpora::

    python bench/overdue_reply.py dump OUT.jsonl [--sizes 10000,100000,1000000]

Two dumps compare with ``diff``; ``--no-summary`` leaves the summaries out.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import json
import pstats
import resource
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / ".bench"
SAMPLE_TENANT = REPO / "events" / "sample-tenant"


def _bench_inputs(size: int) -> tuple[Path, Path]:
    snapshot = BENCH_DIR / f"snapshot-{size}.json"
    directory = BENCH_DIR / f"directory-{size}.json"
    if not snapshot.is_file() or not directory.is_file():
        raise SystemExit(
            f"{snapshot} or {directory} missing: run python bench/run.py --sizes {size} --repeat 1 once"
        )
    return snapshot, directory


def _context(snapshot: Any, policies: Any, directory: Any, now: datetime | None, lang: str) -> Any:
    from groupaudit.engine import AuditContext

    return AuditContext(
        snapshot=snapshot,
        policy=policies.for_group(snapshot.group.kind, snapshot.group.id),
        now=now or snapshot.taken_at,
        directory=directory,
        lang=lang,
    )


def _findings(ctx: Any) -> list[Any]:
    from groupaudit.rules.overdue_reply import RULE

    config = ctx.policy.rule(RULE.id)
    if not config.enabled:
        return []
    return sorted(RULE.check(ctx, config), key=lambda f: (f.subject_id, f.message_id or "", f.id))


def _cases(sizes: list[int]) -> Iterator[tuple[str, Any, Any, Any, datetime | None]]:
    """(name, snapshot, policies, directory, now) for every input the dump covers."""
    from groupaudit.loading import load_snapshot
    from groupaudit.service import load_local_inputs

    for size in sizes:
        snapshot, directory = _bench_inputs(size)
        inputs = load_local_inputs(None, directory, None)
        yield f"bench-{size}", load_snapshot(snapshot), inputs.policies, inputs.directory, None
    inputs = load_local_inputs(SAMPLE_TENANT / "policy.yaml", SAMPLE_TENANT / "directory.json", None)
    for path in sorted((SAMPLE_TENANT / "snapshots").glob("*.json")):
        yield f"sample-tenant/{path.stem}", load_snapshot(path), inputs.policies, inputs.directory, None
    spec = importlib.util.spec_from_file_location("eval_run", REPO / "eval" / "run.py")
    assert spec is not None and spec.loader is not None
    evaluation = importlib.util.module_from_spec(spec)
    sys.modules["eval_run"] = evaluation  # its dataclasses look their module up
    spec.loader.exec_module(evaluation)
    for folder in evaluation.corpus_folders(evaluation.CORPORA, []):
        labels = evaluation.load_labels(folder)
        try:
            snapshot = evaluation.load_snapshot(folder, labels)
        except evaluation.Skipped:
            continue
        directory, policy = folder / "directory.json", folder / "policy.yaml"
        inputs = load_local_inputs(
            policy if policy.is_file() else None, directory if directory.is_file() else None, None
        )
        now = labels["now"]
        if isinstance(now, str):
            now = datetime.fromisoformat(now)
        yield f"eval/{folder.name}", snapshot, inputs.policies, inputs.directory, now


def dump(out: Path, sizes: list[int], summaries: bool) -> None:
    count = 0
    with out.open("w", encoding="utf-8") as stream:
        for name, snapshot, policies, directory, now in _cases(sizes):
            for lang in ("zh", "en"):
                for finding in _findings(_context(snapshot, policies, directory, now, lang)):
                    row = {
                        "case": name,
                        "lang": lang,
                        "id": finding.id,
                        "kind": finding.kind,
                        "subject_id": finding.subject_id,
                        "message_id": finding.message_id,
                        "severity": finding.severity,
                        "evidence": finding.evidence,
                    }
                    if summaries:
                        row["summary"] = finding.summary
                    stream.write(json.dumps(row, ensure_ascii=False, sort_keys=True, default=str) + "\n")
                    count += 1
            print(f"dumped {name}", file=sys.stderr)
    print(f"{count} findings -> {out}")


def time_rule(size: int, repeat: int, profile: bool) -> None:
    from groupaudit.loading import load_snapshot
    from groupaudit.perf import gc_paused
    from groupaudit.service import load_local_inputs

    snapshot_path, directory_path = _bench_inputs(size)
    inputs = load_local_inputs(None, directory_path, None)
    snapshot = load_snapshot(snapshot_path)
    best, best_cpu, count = float("inf"), float("inf"), 0
    for _ in range(repeat):
        ctx = _context(snapshot, inputs.policies, inputs.directory, None, "zh")
        _ = ctx.timeline, ctx.policy.business_calendar  # shared with other rules
        with gc_paused():
            if profile:
                profiler = cProfile.Profile()
                profiler.enable()
            t0, c0 = time.perf_counter(), time.process_time()
            count = len(_findings(ctx))
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            if profile:
                profiler.disable()
                stats = pstats.Stats(profiler)
                stats.sort_stats("cumulative").print_stats(45)
                stats.sort_stats("tottime").print_stats(30)
        best, best_cpu = min(best, seconds), min(best_cpu, cpu)
        print(f"run: {seconds:.3f} s wall, {cpu:.3f} s cpu", file=sys.stderr)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"bench: rule=overdue_reply messages={size} best_s={best:.3f} best_cpu_s={best_cpu:.3f} "
        f"repeat={repeat} findings={count} peak_rss_mb={rss_mb:.1f}"
    )


def phases(size: int, repeat: int) -> None:
    """CPU seconds of each phase of the rule, run one after the other as ``check`` runs them
    (this mirrors ``check``'s loop; the finding count must equal ``time``'s)."""
    from groupaudit.loading import load_snapshot
    from groupaudit.perf import gc_paused
    from groupaudit.rules import overdue_reply as rule
    from groupaudit.service import load_local_inputs

    snapshot_path, directory_path = _bench_inputs(size)
    inputs = load_local_inputs(None, directory_path, None)
    snapshot = load_snapshot(snapshot_path)
    clock = time.process_time
    for _ in range(repeat):
        ctx = _context(snapshot, inputs.policies, inputs.directory, None, "zh")
        _ = ctx.timeline, ctx.policy.business_calendar
        config = ctx.policy.rule(rule.RULE.id)
        with gc_paused():
            t0 = clock()
            conversation = rule._Conversation.of(ctx)
            judge = rule._Judge(ctx, config, ctx.policy.business_calendar, conversation)
            reader = rule._Reader(ctx, config)
            ordered = conversation.ordered
            found = rule._candidates(ordered, config.lexicon.patterns, reader.names, conversation.messages)
            t1 = clock()
            work = []
            for position, cued, address in found:
                entry = ordered[position]
                message = entry[2]
                if message.sender_id in ctx.bots:
                    continue
                owed = reader.owed(message, message.text or "", cued, address)
                if not owed or (
                    position
                    and rule._is_broadcast(ordered[position - 1][2])
                    and rule._same_turn(ordered, position - 1, position)
                ):
                    continue
                work.append((position, entry, owed))
            t2 = clock()
            _ = conversation.replies, conversation.mentioning_by, conversation.sender_of
            for person in {person for _, _, owed in work for person in owed}:
                ctx.messages_of(person)
            t3 = clock()
            late: list[Any] = []
            for position, entry, owed in work:
                for person, item in owed.items():
                    answer = judge.settle(position, entry, person, item)
                    if answer is not None and not answer.on_time:
                        late.append(answer)
            t4 = clock()
            for answer in late:
                judge.finding(answer)
            t5 = clock()
        print(
            f"phases: messages={size} candidates_s={t1 - t0:.3f} owed_s={t2 - t1:.3f} "
            f"indexes_s={t3 - t2:.3f} judge_s={t4 - t3:.3f} findings_s={t5 - t4:.3f} "
            f"total_s={t5 - t0:.3f} findings={len(late)}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="overdue_reply alone: time it, or dump its findings")
    sub = parser.add_subparsers(dest="command", required=True)
    timing = sub.add_parser("time", help="best time of the rule's check on one bench snapshot")
    timing.add_argument("--size", type=int, default=1_000_000)
    timing.add_argument("--repeat", type=int, default=3, help="0: only read the inputs")
    timing.add_argument("--profile", action="store_true", help="print a cProfile of each run")
    phasing = sub.add_parser("phases", help="CPU seconds of each phase of the rule")
    phasing.add_argument("--size", type=int, default=1_000_000)
    phasing.add_argument("--repeat", type=int, default=2)
    dumping = sub.add_parser("dump", help="write the rule's findings as JSON lines")
    dumping.add_argument("out", type=Path)
    dumping.add_argument("--sizes", default="10000,100000,1000000")
    dumping.add_argument("--no-summary", action="store_true", help="leave the summaries out")
    args = parser.parse_args(argv)
    if args.command == "time":
        time_rule(args.size, args.repeat, args.profile)
    elif args.command == "phases":
        phases(args.size, args.repeat)
    else:
        sizes = [int(s) for s in args.sizes.split(",") if s]
        dump(args.out, sizes, not args.no_summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
