"""Benchmark: the monthly report of a tenant with 10,000 groups and a month of daily audits.

The rollup items are seeded **directly** into moto's table (one item per group and month, as
the worker's ``record_audit`` leaves them after 30 daily audits: 30 audit ids, 30 day items,
the questions of 21 working days for 5 people, 8 findings, names), not by running 300,000
audits. Then ``build_report`` runs and is timed; its reads are the rollup items it read. The
peak RSS is the whole process's (``ru_maxrss``), moto's in-process copy of the table included,
so it is an upper bound of what the function would need.

Prints ``report: groups=… days=… build_s=… rss_mb=… reads=…`` and PASS/FAIL against the
function's budget: 15 minutes, 1,769 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

BUDGET_S = 15 * 60
BUDGET_MB = 1769
MONTH = "2026-11"
TENANT = "bench"
RULES = (("overdue_reply", "violation"), ("stale_file", "warning"), ("file_naming", "info"))


def _rollup(group: int, days: int) -> dict:
    people = [f"u{group % 500:03d}-{n}" for n in range(5)]
    item: dict = {
        "PK": {"S": f"TENANT#{TENANT}#ROLLUP#{MONTH}"},
        "SK": {"S": f"GROUP#grp-{group:05d}"},
        "group_name": {"S": f"群{group:05d}"},
        "department": {"S": f"部门{group % 40:02d}"},
        "platform": {"S": "dingtalk"},
        "A": {"SS": [f"{group:08d}{day:024d}" for day in range(1, days + 1)]},
        "F": {
            "SS": [
                f"{RULES[n % 3][0]}\t{RULES[n % 3][1]}\t{people[n % 5]}\tf{group:05d}{n:02d}"
                for n in range(8)
            ]
        },
        "P": {"M": {p: {"S": f"员工{p}"} for p in people}},
    }
    for day in range(1, days + 1):
        item[f"d{day:02d}"] = {
            "M": {"a": {"S": f"{group:08d}{day:024d}"}, "m": {"N": "40"}, "i": {"L": [{"S": people[0]}]}}
        }
        if day % 7 not in (0, 6):  # 21-22 working days with questions
            item[f"q{day:02d}"] = {
                "M": {p: {"L": [{"N": str(v)} for v in (3, 2, 3, 1, 8, 1, 11, 1)]} for p in people}
            }
    return item


def bench(groups: int, days: int) -> dict[str, float]:
    import boto3
    from moto import mock_aws

    from groupaudit.adapters.ledger_store import LedgerStore
    from groupaudit.adapters.report_store import ReportStore
    from groupaudit.local.resources import create_resources
    from groupaudit.local.stack import LOCAL_ENV, TEMPLATE
    from groupaudit.pipeline import runtime
    from groupaudit.policy import parse_policy
    from groupaudit.settings import load_settings
    from groupaudit.supervision.report import Sources, build_report

    os.environ.update(LOCAL_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        runtime.reset()
        os.environ.update(create_resources(boto3.Session(region_name="us-east-1"), TEMPLATE))
        store = runtime.store(load_settings())
        started = time.perf_counter()
        for start in range(0, groups, 25):
            requests = [
                {"PutRequest": {"Item": _rollup(g, days)}} for g in range(start, min(start + 25, groups))
            ]
            store.client.batch_write_item(RequestItems={store.table: requests})
        seed_s = time.perf_counter() - started
        sources = Sources(
            reports=ReportStore.over(store),
            book=LedgerStore.over(store),
            directory=None,
            policy=parse_policy({}, "bench").tenant_policy(),
        )
        started = time.perf_counter()
        report = build_report(TENANT, MONTH, "zh", sources, runtime.now())
        build_s = time.perf_counter() - started
        runtime.reset()
    assert report.totals.groups == groups, report.totals
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seed_s": seed_s, "build_s": build_s, "rss_mb": rss_mb, "reads": sources.reads}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    result = bench(args.groups, args.days)
    ok = result["build_s"] <= BUDGET_S and result["rss_mb"] <= BUDGET_MB
    print(
        f"report: groups={args.groups} days={args.days} build_s={result['build_s']:.1f} "
        f"rss_mb={result['rss_mb']:.0f} reads={result['reads']} (seeded in {result['seed_s']:.1f} s) "
        f"{'PASS' if ok else 'FAIL'} (budget {BUDGET_S} s, {BUDGET_MB} MB)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
