"""Generate docs/openapi.json from the API function's resolver (groupaudit.api.app).

``python -m groupaudit.api.openapi [--check]``; the test suite runs the check, so a change
to a route or a wire model without regenerating the description fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def openapi_json() -> str:
    from groupaudit.api.app import app

    return app.get_openapi_json_schema() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", default="docs", help="docs folder (default: docs)")
    parser.add_argument("--check", action="store_true", help="fail if docs/openapi.json is stale")
    args = parser.parse_args(argv)
    path = Path(args.docs) / "openapi.json"
    text = openapi_json()
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if current == text:
        return 0
    if args.check:
        sys.stderr.write(f"stale: {path} (run `python -m groupaudit.api.openapi`)\n")
        return 1
    path.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
