"""Benchmark: the monthly report of a tenant with 10,000 groups and a month of daily audits.

The rollup items are seeded **directly** into moto's table with BatchWriteItem (one item per
group and month, as the worker's ``record_audit`` leaves them after 30 daily audits: 30 audit
ids, 30 day items, the questions of 21-22 working days for 5 people, 8 findings, names), not by
running 300,000 audits; the five months before have their stored reports, as a tenant reported
on every month has. Then ``build_report`` runs and is timed; its reads are the rollup items it
read. The peak RSS is the whole process's (``ru_maxrss``), moto's copy of the table included
when it runs in-process, so it is an upper bound of what the function would need.

moto's own CPU time is measured apart from ours: in-process (the default), the CPU spent inside
moto's stub of the HTTP call; with ``--server``, moto runs as its own process (``moto_server``)
and its CPU is read from ``/proc``. Ours is the rest: botocore building the requests and
parsing the answers (as it would with DynamoDB), decoding the rollups and the aggregation.

Prints ``report: groups=… days=… build_s=… rss_mb=… reads=…``, then where the time went and
the estimate for the deployed function, and PASS/FAIL against the reporter function's budget
in template.yaml (Timeout, MemorySize). The verdict is on that estimate, not on ``build_s``,
which is mostly moto's: our time scaled to the function's CPU share (a Lambda function has one
full vCPU at 1,769 MB, a share of it below) plus ``PAGE_S`` for each 1 MB page of DynamoDB's
Query (the pages estimated from the items' DynamoDB size), and the RSS.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at this memory, a proportional share below
PAGE_MB = 1.0  # DynamoDB's Query returns at most 1 MB of items a call
PAGE_S = 0.25  # assumed for one 1 MB Query page from DynamoDB (service and transfer), generous
MONTH = "2026-11"
TENANT = "bench"
RULES = (("overdue_reply", "violation"), ("stale_file", "warning"), ("file_naming", "info"))
HISTOGRAM = {2: 3, 4: 1, 8: 1, 11: 1}  # bucket -> answers of one person's day (3 owed, 2 in time)


def reporter_budget(template: Path = ROOT / "template.yaml") -> tuple[int, int]:
    """(Timeout s, MemorySize MB) of the reporter function in ``template``."""
    from groupaudit.local.resources import load_template

    resources = load_template(template)["Resources"]
    props = resources["ReporterFunction"]["Properties"]
    return int(props["Timeout"]), int(props["MemorySize"])


def _people(group: int) -> list[str]:
    return [f"u{group % 500:03d}-{n}" for n in range(5)]


def rollup(group: int, days: int, *, month: str = MONTH, legacy: bool = False) -> dict[str, Any]:
    """The rollup item of ``group`` after ``days`` daily audits, as ``record_audit`` writes it
    (``legacy``: as it wrote it before 2026-12, days and questions as DynamoDB maps)."""
    from groupaudit.adapters import report_store as rs
    from groupaudit.report_rollup import Owed

    people = _people(group)
    item: dict[str, Any] = {
        "PK": {"S": rs.rollup_pk(TENANT, month)},
        "SK": {"S": f"GROUP#grp-{group:05d}"},
        "group_name": {"S": f"群{group:05d}"},
        "department": {"S": f"部门{group % 40:02d}"},
        "platform": {"S": "dingtalk"},
        "A": {"SS": [f"{group:08d}{day:024d}" for day in range(1, days + 1)]},
        "F": {
            "SS": [
                f"{RULES[n % 3][0]}\t{RULES[n % 3][1]}\t{people[n % 5]}\tf{group:05d}{n:02d}"
                for n in range(8 + group % 3)  # 8-10 findings: the months' counts differ a little
            ]
        },
        "P": {"M": {p: {"S": f"员工{p}"} for p in people}},
    }
    owed = Owed(3, 2, dict(HISTOGRAM))
    for day in range(1, days + 1):
        audit_id, inactive = f"{group:08d}{day:024d}", [people[0]]
        if legacy:
            item[f"d{day:02d}"] = {
                "M": {"a": {"S": audit_id}, "m": {"N": "40"}, "i": {"L": [{"S": p} for p in inactive]}}
            }
        else:
            item[f"d{day:02d}"] = rs.day_value(audit_id, 40, inactive)
        if day % 7 in (0, 6):
            continue  # 21-22 working days with questions
        if legacy:
            flat = {"L": [{"N": str(v)} for v in owed.encode()]}
            item[f"q{day:02d}"] = {"M": dict.fromkeys(people, flat)}
        else:
            item[f"q{day:02d}"] = rs.questions_value(dict.fromkeys(people, owed))
    return item


def dynamodb_size(value: Any) -> int:
    """DynamoDB's size in bytes of an attribute value (or of an item, a dict of them): names and
    strings their UTF-8 length, numbers about one byte per two digits plus one, 3 bytes for each
    map or list and 1 for each of its elements."""
    if "S" in value and len(value) == 1:
        return len(value["S"].encode())
    if "N" in value and len(value) == 1:
        return 1 + math.ceil(len(value["N"].strip("-").replace(".", "")) / 2)
    if "SS" in value and len(value) == 1:
        return sum(len(v.encode()) for v in value["SS"])
    if "L" in value and len(value) == 1:
        return 3 + sum(1 + dynamodb_size(v) for v in value["L"])
    if "M" in value and len(value) == 1:
        return 3 + sum(len(k.encode()) + 1 + dynamodb_size(v) for k, v in value["M"].items())
    if "BOOL" in value or "NULL" in value:
        return 1
    return sum(len(k.encode()) + dynamodb_size(v) for k, v in value.items())  # an item


class _Clock:
    """Wall and CPU time spent inside moto's in-process stub, and the Query calls made."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.queries = 0

    def install(self) -> None:
        from moto.core.botocore_stubber import BotocoreStubber

        original = BotocoreStubber.__call__
        clock = self

        def timed(stub: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return original(stub, event_name, request, **kwargs)
            finally:
                clock.wall += time.perf_counter() - wall
                clock.cpu += time.process_time() - cpu

        BotocoreStubber.__call__ = timed  # type: ignore[method-assign,assignment]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _process_cpu(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _count_queries(client: Any, counter: list[int]) -> None:
    def count(**kwargs: Any) -> None:
        counter[0] += 1

    client.meta.events.register("before-call.dynamodb.Query", count)


def bench(groups: int, days: int, *, server: bool = False, legacy: bool = False) -> dict[str, Any]:
    import boto3

    from groupaudit.local.stack import LOCAL_ENV

    os.environ.update(LOCAL_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    if not server:
        from moto import mock_aws

        clock = _Clock()
        clock.install()
        with mock_aws():
            return _run(groups, days, boto3, legacy, clock=clock)
    port = _free_port()
    moto = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        return _run(groups, days, boto3, legacy, server_pid=moto.pid)
    finally:
        os.environ.pop("AWS_ENDPOINT_URL", None)
        moto.terminate()
        moto.wait(timeout=30)


def _run(
    groups: int,
    days: int,
    boto3: Any,
    legacy: bool,
    *,
    clock: _Clock | None = None,
    server_pid: int | None = None,
) -> dict[str, Any]:
    from groupaudit.adapters.ledger_store import LedgerStore
    from groupaudit.adapters.report_store import ReportStore
    from groupaudit.local.resources import create_resources
    from groupaudit.local.stack import TEMPLATE
    from groupaudit.pipeline import runtime
    from groupaudit.policy import parse_policy
    from groupaudit.settings import load_settings
    from groupaudit.supervision.report import Sources, build_report, shift_month, summary_of

    runtime.reset()
    os.environ.update(create_resources(boto3.Session(region_name="us-east-1"), TEMPLATE))
    store = runtime.store(load_settings())
    reports = ReportStore.over(store)
    started = time.perf_counter()
    size = 0
    for start in range(0, groups, 25):
        items = [rollup(g, days, legacy=legacy) for g in range(start, min(start + 25, groups))]
        size += sum(dynamodb_size(item) for item in items)
        store.client.batch_write_item(
            RequestItems={store.table: [{"PutRequest": {"Item": item}} for item in items]}
        )
    for back in range(1, 6):  # the months before, reported on: their stored summaries
        by_group = {f"grp-{g:05d}": 8 + (g + back) % 3 for g in range(groups)}
        summary = summary_of(sum(by_group.values()), 0, 0.667, by_group)
        when = shift_month(MONTH, -back)
        reports.put_report(TENANT, when, generated_at=f"{when}-01T09:00:00+08:00", keys={}, summary=summary)
    seed_s = time.perf_counter() - started
    sources = Sources(
        reports=reports,
        book=LedgerStore.over(store),
        directory=None,
        policy=parse_policy({}, "bench").tenant_policy(),
    )
    queries = [0]
    _count_queries(store.client, queries)
    moto_wall = moto_cpu = 0.0
    if clock is not None:
        moto_wall, moto_cpu = clock.wall, clock.cpu
    server_cpu = _process_cpu(server_pid) if server_pid else 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    report = build_report(TENANT, MONTH, "zh", sources, runtime.now())
    build_s, cpu_s = time.perf_counter() - wall, time.process_time() - cpu
    if clock is not None:
        moto_wall, moto_cpu = clock.wall - moto_wall, clock.cpu - moto_cpu
    else:
        moto_cpu = _process_cpu(server_pid) - server_cpu if server_pid else 0.0
    runtime.reset()
    assert report.totals.groups == groups, report.totals
    assert len(report.trends.months) == 6, report.trends
    return {
        "seed_s": seed_s,
        "build_s": build_s,
        "cpu_s": cpu_s,
        # in-process, moto's CPU is inside ours; as a server it is its own process's
        "ours_cpu_s": cpu_s - moto_cpu if clock is not None else cpu_s,
        "moto_cpu_s": moto_cpu,
        "moto_wall_s": moto_wall if clock is not None else None,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "reads": sources.reads,
        "queries": queries[0],
        "item_kb": size / groups / 1024,
        "pages": math.ceil(size / (PAGE_MB * 1024 * 1024)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--server", action="store_true", help="moto as its own process (moto_server)")
    parser.add_argument("--legacy", action="store_true", help="rollups as written before 2026-12 (maps)")
    args = parser.parse_args(argv)
    if args.groups < 1 or not 1 <= args.days <= 31:
        parser.error(f"--groups must be at least 1 and --days 1 to 31, got {args.groups} and {args.days}")
    timeout_s, memory_mb = reporter_budget()
    r = bench(args.groups, args.days, server=args.server, legacy=args.legacy)
    share = min(1.0, memory_mb / FULL_VCPU_MB)
    estimate_s = r["ours_cpu_s"] / share + r["pages"] * PAGE_S
    ok = estimate_s <= timeout_s and r["rss_mb"] <= memory_mb
    print(
        f"report: groups={args.groups} days={args.days} build_s={r['build_s']:.1f} "
        f"rss_mb={r['rss_mb']:.0f} reads={r['reads']} (seeded in {r['seed_s']:.1f} s"
        f"{', legacy rollups' if args.legacy else ''})"
    )
    print(
        f"  moto {'server' if args.server else 'in-process'}: moto_cpu_s={r['moto_cpu_s']:.1f} "
        f"ours_cpu_s={r['ours_cpu_s']:.1f} (cpu_s={r['cpu_s']:.1f}) queries={r['queries']} "
        f"item_kb={r['item_kb']:.1f} pages_1mb={r['pages']}"
    )
    print(
        f"{'PASS' if ok else 'FAIL'} estimate for the reporter function: {estimate_s:.0f} s "
        f"(ours {r['ours_cpu_s']:.1f} s / {share:.2f} vCPU at {memory_mb} MB + {r['pages']} pages "
        f"x {PAGE_S} s) <= {timeout_s} s and rss {r['rss_mb']:.0f} MB <= {memory_mb} MB"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
