"""``groupaudit serve-api``: the HTTP API on 127.0.0.1 over a local stack."""

from __future__ import annotations

import argparse
from pathlib import Path

from groupaudit.cli._common import EXIT_OK, write

NAME = "serve-api"
HELP = "serve the HTTP API on 127.0.0.1 over a local stack (Ctrl-C stops)"
EXAMPLE = "groupaudit serve-api --port 8787"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "folder",
        metavar="TENANT_DIR",
        nargs="?",
        help="the tenant folder to seed (default: events/sample-tenant) (e.g. events/sample-tenant)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8787,
        help="port on 127.0.0.1 (default 8787; 0: any free one) (e.g. --port 8788)",
    )


def run(args: argparse.Namespace) -> int:
    import time

    from groupaudit.local.api_server import served_api
    from groupaudit.local.demo import SAMPLE

    with served_api(Path(args.folder) if args.folder else SAMPLE, port=args.port) as served:
        write(
            f"groupaudit API on {served.url} (moto on {served.moto_endpoint})\n"
            f"tenant {served.tenant!r}, signing secret {served.secret!r}; see README 'On-demand audits'.\n"
            "Ctrl-C stops."
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            write("stopping")
    return EXIT_OK
