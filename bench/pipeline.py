"""Pipeline benchmarks (reports, not tests).

1. Fan-out: 10,000 registered groups queued by ONE scheduler invocation on moto (in-process),
   with the time it took and the number of messages on the audit queue afterwards. Note that
   moto's SQS re-checks the visibility of every queued message on each send (several clock
   reads each), so the emulator's cost grows with the square of the queue length and dominates
   at 10,000; the fan-out itself makes 1,000 SendMessageBatch calls.
2. Cold start: importing the audit worker's handler module, against `import boto3`, each in
   fresh interpreters (best of N). Target: worker ≤ 1.5 × boto3.

Usage: python bench/pipeline.py [--groups 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_COLD_START = 1.5


def bench_fanout(groups: int) -> dict[str, float]:
    import boto3
    from moto import mock_aws

    from groupaudit.local.invoke import LambdaContext, load_handler
    from groupaudit.local.resources import create_resources
    from groupaudit.local.stack import LOCAL_ENV, TEMPLATE
    from groupaudit.pipeline import runtime
    from groupaudit.settings import load_settings
    from groupaudit.wire import GroupRegistration

    os.environ.update(LOCAL_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        runtime.reset()
        os.environ.update(create_resources(boto3.Session(region_name="us-east-1"), TEMPLATE))
        settings = load_settings()
        store = runtime.store(settings)
        started = time.perf_counter()
        store.groups.put_groups(
            [
                GroupRegistration(
                    tenant_id="bench", group_id=f"grp-{i:05d}", platform="dingtalk", kind="project"
                )
                for i in range(groups)
            ]
        )
        register_s = time.perf_counter() - started
        handler = load_handler("scheduler")
        started = time.perf_counter()
        result = handler(
            {"source": "schedule", "tenant_id": "all", "scheduled_time": "bench"}, LambdaContext("s")
        )
        fanout_s = time.perf_counter() - started
        attributes = runtime.client("sqs").get_queue_attributes(
            QueueUrl=settings.audit_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        runtime.reset()
    return {
        "groups": result["groups"],
        "register_s": register_s,
        "fanout_s": fanout_s,
        "messages": int(attributes["ApproximateNumberOfMessages"]),
    }


_WORKER_IMPORT = (
    "import importlib.util, time; t = time.perf_counter(); "
    "spec = importlib.util.spec_from_file_location('handler', {path!r}); "
    "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
    "print(time.perf_counter() - t)"
)
_BOTO3_IMPORT = "import time; t = time.perf_counter(); import boto3; print(time.perf_counter() - t)"


def _best(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(done.stdout.strip()))
    return min(times)


def bench_cold_start(repeat: int) -> dict[str, float]:
    worker = ROOT / "functions" / "audit_worker" / "handler.py"
    boto3_s = _best(_BOTO3_IMPORT, repeat)
    worker_s = _best(_WORKER_IMPORT.format(path=str(worker)), repeat)
    return {"boto3_s": boto3_s, "worker_s": worker_s, "ratio": worker_s / boto3_s}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    fan = bench_fanout(args.groups)
    print(
        f"bench: fanout_groups={fan['groups']} fanout_s={fan['fanout_s']:.3f} "
        f"messages={fan['messages']} register_s={fan['register_s']:.3f} (moto in-process, one invocation)"
    )
    cold = bench_cold_start(args.repeat)
    print(
        f"bench: import_boto3_s={cold['boto3_s']:.3f} import_worker_handler_s={cold['worker_s']:.3f} "
        f"ratio={cold['ratio']:.2f} (best of {args.repeat} fresh interpreters)"
    )
    verdict = "PASS" if cold["ratio"] <= TARGET_COLD_START else "FAIL"
    print(f"{verdict} worker handler import ≤ {TARGET_COLD_START}× import boto3: {cold['ratio']:.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
