"""``groupaudit api METHOD PATH``: one signed request to the HTTP API, its JSON answer printed.

Signed as docs/API.md says (``groupaudit.signing``): ``X-GroupAudit-Tenant``,
``X-GroupAudit-Timestamp`` (now, unix seconds) and ``X-GroupAudit-Signature`` over
``{timestamp}\\n{METHOD}\\n{PATH}\\n{body}``, the path with its query exactly as sent and the body
exactly the bytes sent. (The module is ``api_request``: ``groupaudit.api`` is the API's code.)

Exit status: 0 a 2xx answer; 2 bad arguments or a 4xx answer; 3 a 5xx answer or no answer.
The answer's JSON is printed in both cases; a 4xx/5xx also prints ``error: HTTP <status>`` on
stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from groupaudit.cli._common import EXIT_INVALID, EXIT_OK, EXIT_PLATFORM, write
from groupaudit.errors import InputError, Problem

NAME = "api"
HELP = "sign and send one request to the HTTP API and print its JSON answer"
EXAMPLE = (
    "GROUPAUDIT_SECRET=local-demo-secret groupaudit api POST /audits "
    """--data '{"tenant_id": "acme", "group_id": "grp-sales"}' --tenant acme"""
)
LOCAL_URL = "http://127.0.0.1:8787"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
clock = time.time  # the signature's timestamp (tests fix it)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "method", metavar="METHOD", type=str.upper, choices=METHODS, help=" | ".join(METHODS) + " (e.g. GET)"
    )
    parser.add_argument(
        "path",
        metavar="PATH",
        help="the route, with its query string; quote it in the shell "
        "(e.g. '/groups/grp-sales/findings?status=open')",
    )
    parser.add_argument(
        "--data",
        metavar="JSON|@FILE",
        help="the request body: JSON text, or @ and a file whose bytes are sent as they are "
        """(e.g. --data '{"tenant_id": "acme", "group_id": "all"}' or --data @audit.json)""",
    )
    parser.add_argument(
        "--tenant",
        default=os.environ.get("GROUPAUDIT_TENANT"),
        help="the tenant id (default: GROUPAUDIT_TENANT) (e.g. --tenant acme)",
    )
    key = parser.add_mutually_exclusive_group()
    key.add_argument(
        "--key-file",
        metavar="FILE",
        help="file holding the tenant's API secret (one trailing newline is not part of it) "
        "(e.g. --key-file ~/.groupaudit/acme.key)",
    )
    key.add_argument(
        "--key-env",
        metavar="VAR",
        help="environment variable holding the tenant's API secret (default: GROUPAUDIT_SECRET) "
        "(e.g. --key-env ACME_API_SECRET)",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("GROUPAUDIT_URL") or LOCAL_URL,
        help=f"the API's base URL, the stack output ApiUrl (default: GROUPAUDIT_URL, else {LOCAL_URL}, "
        "what serve-api serves) (e.g. --url https://abcdef1234.execute-api.ap-east-1.amazonaws.com)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for the answer (default 30) (e.g. --timeout 60)",
    )


def run(args: argparse.Namespace) -> int:
    import urllib.error
    import urllib.request

    from groupaudit.signing import sign_request

    problems = []
    if not args.tenant:
        problems.append(Problem("--tenant", "no tenant: pass --tenant T or set GROUPAUDIT_TENANT"))
    if not args.path.startswith("/"):
        problems.append(Problem("PATH", f"{args.path!r} does not start with / (e.g. /audits)"))
    if not args.url.startswith(("http://", "https://")):
        problems.append(Problem("--url", f"{args.url!r} is not an http(s) URL"))
    secret = _secret(args, problems)
    body = _body(args.data, problems)
    if body and args.method in ("GET", "DELETE"):
        problems.append(Problem("--data", f"{args.method} requests carry no body"))
    if problems:
        raise InputError("api", problems)
    timestamp = str(int(clock()))
    request = urllib.request.Request(
        args.url.rstrip("/") + args.path,
        data=body or None,
        method=args.method,
        headers={
            "Content-Type": "application/json",
            "X-GroupAudit-Tenant": args.tenant,
            "X-GroupAudit-Timestamp": timestamp,
            "X-GroupAudit-Signature": sign_request(secret, timestamp, args.method, args.path, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=args.timeout) as response:
            status, answer = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, answer = exc.code, exc.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        print(f"error: {args.url} unreachable: {getattr(exc, 'reason', exc)}", file=sys.stderr)
        return EXIT_PLATFORM
    if answer.strip():
        try:
            write(json.dumps(json.loads(answer), ensure_ascii=False, indent=2))
        except ValueError:
            write(answer.decode("utf-8", "replace"))
    if 200 <= status < 300:
        return EXIT_OK
    print(f"error: HTTP {status}", file=sys.stderr)
    return EXIT_INVALID if status < 500 else EXIT_PLATFORM


def _secret(args: argparse.Namespace, problems: list[Problem]) -> bytes:
    if args.key_file:
        try:
            text = Path(args.key_file).expanduser().read_bytes()
        except OSError as exc:
            problems.append(Problem("--key-file", f"cannot read {args.key_file}: {exc.strerror}"))
            return b""
        key = text.removesuffix(b"\n").removesuffix(b"\r")
        where = f"--key-file {args.key_file}"
    else:
        name = args.key_env or "GROUPAUDIT_SECRET"
        key = os.environ.get(name, "").encode()
        where = f"the environment variable {name}"
    if not key:
        problems.append(
            Problem("--key-file/--key-env", f"no API secret in {where} (e.g. export GROUPAUDIT_SECRET=…)")
        )
    return key


def _body(data: str | None, problems: list[Problem]) -> bytes:
    if data is None:
        return b""
    if data.startswith("@"):
        try:
            body = Path(data[1:]).expanduser().read_bytes()
        except OSError as exc:
            problems.append(Problem("--data", f"cannot read {data[1:]}: {exc.strerror}"))
            return b""
    else:
        body = data.encode()
    try:
        json.loads(body)
    except ValueError as exc:
        problems.append(Problem("--data", f"not JSON: {exc}"))
    return body
