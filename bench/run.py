"""Benchmark harness for the audit engine (a report, not a test).

For each size it generates the inputs into ``<repo>/.bench/`` when missing (bench/generate.py is
deterministic, so existing files are reused), then measures in fresh processes:

* audit      — ``groupaudit.service.audit_files(snapshot, directory_path=…, backups_dir=…)``:
               read + validate the snapshot and run every rule (import time excluded);
* json floor — ``json.loads`` of the same snapshot file, the cost of merely parsing it.

The ratio is of wall times (best of the repeats); each child's own CPU time is printed beside
it, which other work on the machine inflates less.

Each measurement runs ``--repeat`` times in its own child process; the best time and the
largest peak RSS are kept. Exit status is 0 whatever the targets say, non-zero only when a
child process fails.

Usage::

    python bench/run.py                        # 10k, 100k and 1M messages
    python bench/run.py --sizes 10000,100000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

try:
    from generate import scale  # run as a script: python bench/run.py
except ImportError:  # run as a module: python -m bench.run
    from bench.generate import scale

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / ".bench"
GENERATOR = Path(__file__).resolve().parent / "generate.py"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)

TARGET_RATIO = 1.5
TARGET_GROWTH = 12.0
STRICT_RATIO, STRICT_RSS = 1.0, 0.75  # the targets of issues 8 and 9 with all rules on

AUDIT_CHILD = """
import json, resource, sys, time
from groupaudit.service import audit_files
snapshot, directory, backups = sys.argv[1:4]
t0, c0 = time.perf_counter(), time.process_time()
report = audit_files(snapshot, directory_path=directory, backups_dir=backups, now=None)
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"seconds": seconds, "cpu": cpu, "findings": len(report.findings),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

JSON_CHILD = """
import json, resource, sys, time
path = sys.argv[1]
t0, c0 = time.perf_counter(), time.process_time()
doc = json.loads(open(path, encoding="utf-8").read())
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"seconds": seconds, "cpu": cpu, "findings": None,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

PROBE_CHILD = "from groupaudit.service import audit_files\nprint('{}')"


class ChildFailed(Exception):
    def __init__(self, what: str, returncode: int, stderr: str) -> None:
        super().__init__(f"{what}: exit status {returncode}")
        self.what = what
        self.returncode = returncode
        self.stderr = stderr


def machine_info() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return [
        f"machine: cpu={cpu!r} cores={os.cpu_count()} memory={mem}",
        f"machine: python={platform.python_version()} ({platform.python_implementation()}) "
        f"executable={sys.executable} os={platform.system()} {platform.release()}",
    ]


def load_average() -> float | None:
    """The machine's load average over the last minute (None where the system gives none)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def paths(size: int) -> tuple[Path, Path, Path]:
    return (
        BENCH_DIR / f"snapshot-{size}.json",
        BENCH_DIR / f"directory-{size}.json",
        BENCH_DIR / f"backups-{size}",
    )


def ensure_inputs(size: int) -> None:
    snapshot, directory, backups = paths(size)
    if snapshot.is_file() and directory.is_file() and backups.is_dir():
        return
    print(f"generating {size} messages into {BENCH_DIR} …", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(GENERATOR), "--messages", str(size), "--out", str(BENCH_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise ChildFailed(f"generate {size}", proc.returncode, proc.stderr)
    print(f"generated {size} messages in {time.perf_counter() - t0:.1f}s", flush=True)


def run_child(what: str, code: str, args: list[str], timeout: float) -> dict:
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise ChildFailed(what, -1, f"timed out after {timeout:.0f}s\n{stderr}") from exc
    if proc.returncode != 0:
        raise ChildFailed(what, proc.returncode, proc.stderr)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise ChildFailed(what, proc.returncode, f"no result line on stdout:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(lines[-1])


def measure(what: str, code: str, args: list[str], repeat: int, timeout: float) -> dict:
    best, cpu, rss, findings = None, None, 0.0, set()
    for _ in range(repeat):
        result = run_child(what, code, args, timeout)
        best = result["seconds"] if best is None else min(best, result["seconds"])
        cpu = result["cpu"] if cpu is None else min(cpu, result["cpu"])
        rss = max(rss, result["rss_mb"])
        findings.add(result["findings"])
    if len(findings) > 1:
        print(f"warning: {what}: findings differ between repeats: {sorted(findings)}", flush=True)
    return {"seconds": best, "cpu": cpu, "rss_mb": rss, "findings": max(findings, key=lambda x: x or 0)}


def fmt(value, spec: str, missing: str = "n/a") -> str:
    return missing if value is None else format(value, spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the audit engine against the json.loads floor.")
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="comma-separated message counts (default: %(default)s)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement, best kept (default 3)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per child run")
    parser.add_argument(
        "--skip-audit",
        action="store_true",
        help="measure only the json floor (e.g. before groupaudit.service exists)",
    )
    parser.add_argument("--machine", action="store_true", help="print the machine information and exit")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.replace("_", "").split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes: not a comma-separated list of integers: {args.sizes!r}")
    if not sizes or args.repeat < 1:
        parser.error("need at least one size and --repeat ≥ 1")

    for line in machine_info():
        print(line)
    if args.machine:
        return 0
    print(f"bench: sizes={','.join(map(str, sizes))} repeat={args.repeat} dir={BENCH_DIR}", flush=True)
    load_before = load_average()

    try:
        if not args.skip_audit:
            run_child("import groupaudit.service", PROBE_CHILD, [], args.timeout)
        rows = []
        for size in sizes:
            ensure_inputs(size)
            snapshot, directory, backups = paths(size)
            members, files = scale(size)
            row = {
                "size": size,
                "mb": snapshot.stat().st_size / 1e6,
                "members": members,
                "files": files,
                "audit": None,
            }
            print(f"measuring {size}: json floor …", flush=True)
            row["json"] = measure(
                f"json floor {size}", JSON_CHILD, [str(snapshot)], args.repeat, args.timeout
            )
            if not args.skip_audit:
                print(f"measuring {size}: audit …", flush=True)
                row["audit"] = measure(
                    f"audit {size}",
                    AUDIT_CHILD,
                    [str(snapshot), str(directory), str(backups)],
                    args.repeat,
                    args.timeout,
                )
            rows.append(row)
    except ChildFailed as exc:
        sys.stdout.flush()
        print(f"\nFAILED: {exc.what} (exit status {exc.returncode})", file=sys.stderr)
        print(exc.stderr.rstrip(), file=sys.stderr)
        if exc.what.startswith("import"):
            print(
                "hint: install the project (make setup, or pip install -e .) and run with its venv's "
                "python, or pass --skip-audit to measure only the json floor",
                file=sys.stderr,
            )
        return 1

    header = (
        "size",
        "file MB",
        "members",
        "files",
        "audit_s",
        "json_s",
        "ratio",
        "audit_rss_mb",
        "json_rss_mb",
        "findings",
    )
    table = []
    for row in rows:
        audit, floor = row["audit"] or {}, row["json"]
        row["ratio"] = audit["seconds"] / floor["seconds"] if audit else None
        table.append(
            (
                f"{row['size']:,}",
                f"{row['mb']:.1f}",
                f"{row['members']:,}",
                f"{row['files']:,}",
                fmt(audit.get("seconds"), ".3f"),
                f"{floor['seconds']:.3f}",
                fmt(row["ratio"], ".3f"),
                fmt(audit.get("rss_mb"), ".1f"),
                f"{floor['rss_mb']:.1f}",
                fmt(audit.get("findings"), ","),
            )
        )
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(header)]
    print()
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for r in table:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
    print()
    for row in rows:
        audit, floor = row["audit"] or {}, row["json"]
        print(
            f"bench: messages={row['size']} audit_s={fmt(audit.get('seconds'), '.3f')} "
            f"json_s={floor['seconds']:.3f} ratio={fmt(row['ratio'], '.3f')} "
            f"audit_rss_mb={fmt(audit.get('rss_mb'), '.1f')} json_rss_mb={floor['rss_mb']:.1f}"
        )
        if audit:  # the processes' own CPU time: what a machine busy with other work inflates less
            print(
                f"  cpu: audit_cpu_s={audit['cpu']:.3f} json_cpu_s={floor['cpu']:.3f} "
                f"cpu_ratio={audit['cpu'] / floor['cpu']:.3f}"
            )

    # Other work on the machine inflates the wall times (and the ratio) far more than the CPU times.
    print(f"load: average over 1 min {fmt(load_before, '.1f')} before, {fmt(load_average(), '.1f')} after")

    by_size = {row["size"]: row for row in rows}
    growth = None
    small, large = by_size.get(100_000), by_size.get(1_000_000)
    if small and large and small["audit"] and large["audit"]:
        growth = large["audit"]["seconds"] / small["audit"]["seconds"]
        print(f"audit time 100k→1M: {growth:.1f}x")

    def verdict(name: str, ok: bool | None, detail: str) -> None:
        print(f"{'n/a ' if ok is None else 'PASS' if ok else 'FAIL'} {name}: {detail}")

    if large and large["audit"]:
        a, j = large["audit"], large["json"]
        verdict(f"ratio at 1M ≤ {TARGET_RATIO}", large["ratio"] <= TARGET_RATIO, f"{large['ratio']:.3f}")
        verdict(
            "audit_rss_mb ≤ json_rss_mb at 1M",
            a["rss_mb"] <= j["rss_mb"],
            f"{a['rss_mb']:.1f} MB vs {j['rss_mb']:.1f} MB",
        )
        verdict(
            f"ratio at 1M ≤ {STRICT_RATIO} (issues 8, 9)",
            large["ratio"] <= STRICT_RATIO,
            f"{large['ratio']:.3f}",
        )
        verdict(
            f"audit_rss_mb ≤ {STRICT_RSS} × json_rss_mb at 1M (issue 9)",
            a["rss_mb"] <= STRICT_RSS * j["rss_mb"],
            f"{a['rss_mb'] / j['rss_mb']:.2f} × ({a['rss_mb']:.1f} MB vs {j['rss_mb']:.1f} MB)",
        )
    else:
        verdict(f"ratio at 1M ≤ {TARGET_RATIO}", None, "1M audit not measured")
        verdict("audit_rss_mb ≤ json_rss_mb at 1M", None, "1M audit not measured")
    if growth is not None:
        verdict(f"growth 100k→1M ≤ {TARGET_GROWTH:g}x", growth <= TARGET_GROWTH, f"{growth:.1f}x")
    else:
        verdict(f"growth 100k→1M ≤ {TARGET_GROWTH:g}x", None, "needs the 100k and 1M audits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
