"""The kill rate of `make mutate`'s last run, file by file (docs/BENCHMARKS.md, "Mutation testing").

Reads the results mutmut keeps beside each mutated file (``.mutate/mutants/src/**/*.py.meta``,
one exit code a mutant) and prints, for each file with a mutant tested: the mutants tested,
killed (a test failed, timed out or the run broke), survived (every test passed) and with no
test that runs their function; the kill rate is killed / tested. Mutants not run yet (a run
narrowed with MUTANTS=, or stopped) are counted apart, never as killed. ``--survivors`` lists
the names of the surviving mutants (``mutmut show NAME`` in .mutate prints each one's diff).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / ".mutate" / "mutants" / "src"

# mutmut's exit codes (mutmut/__main__.py, status_by_exit_code): a failed test, a crash of the
# test run and a timeout all kill the mutant; 0 is a survivor; 33 and 5 mean no test ran it.
KILLED = {1, 3, -24, 24, 36, 152, 255, -11, -9}
SURVIVED = {0}
NO_TESTS = {5, 33}


def tally(meta: Path) -> tuple[Counter[str], list[str]]:
    codes = json.loads(meta.read_text(encoding="utf-8")).get("exit_code_by_key", {})
    counts: Counter[str] = Counter()
    survivors = []
    for name, code in codes.items():
        if code is None:
            counts["not_run"] += 1
        elif code in KILLED:
            counts["killed"] += 1
        elif code in SURVIVED:
            counts["survived"] += 1
            survivors.append(name)
        elif code in NO_TESTS:
            counts["no_tests"] += 1
        else:
            counts["other"] += 1
    return counts, sorted(survivors, key=lambda n: (n.rpartition("_")[0], int(n.rpartition("_")[2])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants too")
    args = parser.parse_args(argv)
    metas = sorted(MUTANTS.rglob("*.py.meta"))
    if not metas:
        print(f"no mutmut results under {MUTANTS}: run `make mutate` first", file=sys.stderr)
        return 2
    total: Counter[str] = Counter()
    header = ("file", "tested", "killed", "survived", "no tests", "not run")
    print(f"{header[0]:<38} " + " ".join(f"{h:>8}" for h in header[1:]) + "  kill rate")
    for meta in metas:
        counts, survivors = tally(meta)
        tested = counts["killed"] + counts["survived"] + counts["no_tests"] + counts["other"]
        if not tested:
            continue
        total += counts
        name = str(meta.relative_to(MUTANTS)).removesuffix(".meta")
        print(
            f"{name:<38} {tested:>8} {counts['killed']:>8} {counts['survived']:>8} "
            f"{counts['no_tests']:>8} {counts['not_run']:>8}  {counts['killed'] / tested:.1%}"
        )
        if args.survivors:
            for survivor in survivors:
                print(f"    survived: {survivor}")
    tested = total["killed"] + total["survived"] + total["no_tests"] + total["other"]
    if tested:
        print(
            f"{'all files run':<38} {tested:>8} {total['killed']:>8} {total['survived']:>8} "
            f"{total['no_tests']:>8} {total['not_run']:>8}  {total['killed'] / tested:.1%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
