"""What the command modules share: exit codes, output, argument types, input files."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from groupaudit.errors import InputError, Problem

EXIT_OK, EXIT_FINDINGS, EXIT_INVALID, EXIT_PLATFORM = 0, 1, 2, 3


def write(data: str | bytes) -> None:
    """One block of output on stdout, flushed (a pipe sees it at once)."""
    if isinstance(data, bytes):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.write(b"\n")
    else:
        sys.stdout.write(data + "\n")
    sys.stdout.flush()


def note(text: str) -> None:
    print(text, file=sys.stderr)


def timestamp(text: str) -> datetime:
    """An ISO 8601 timestamp with a UTC offset (argparse type)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (e.g. 2026-11-20T18:00:00+08:00)")
    return moment


def json_file(path: str, what: str) -> Any:
    from groupaudit.loading import decode_json

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(path, [Problem("", f"cannot read the {what} file: {exc.strerror}")]) from None
    return decode_json(data, path, f"the {what} file")


def snapshot_line(snapshot: Any, path: object) -> str:
    return (
        f"{snapshot.group.name}\t{len(snapshot.members or ())} members\t"
        f"{len(snapshot.messages or ())} messages\t{len(snapshot.files or ())} files\t{path}"
    )


def fails_on(findings: Any, threshold: str | None) -> bool:
    """Is any finding at or above ``threshold`` (``--fail-on``)?"""
    from groupaudit.contracts import SEVERITIES

    if not threshold:
        return False
    level = SEVERITIES.index(threshold)
    return any(SEVERITIES.index(f.severity) >= level for f in findings)


def add_policy_arguments(parser: argparse.ArgumentParser) -> None:
    """--policy, --group-kind and --group-id: which effective policy a command reads."""
    from groupaudit.contracts import GROUP_KINDS

    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="policy file (default: built-in defaults) (e.g. --policy policy.yaml)",
    )
    parser.add_argument(
        "--group-kind",
        metavar="K",
        choices=GROUP_KINDS,
        help=" | ".join(GROUP_KINDS) + " (e.g. --group-kind project)",
    )
    parser.add_argument(
        "--group-id", metavar="ID", help="apply this group's overrides too (e.g. --group-id grp-sales)"
    )
