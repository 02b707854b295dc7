"""Generate docs/openapi.json from the API function's resolver (functions/api/handler.py).

``python -m groupaudit.pipeline.openapi [--check]``; the test suite runs the check, so a change
to a route or a wire model without regenerating the description fails. A development tool: it
reads the repository's ``functions/`` folder, which the Lambda layer does not contain.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]
HANDLER = ROOT / "functions" / "api" / "handler.py"
MODULE = "groupaudit_functions.api.handler"


def load_api_module(path: Path = HANDLER) -> ModuleType:
    """The API handler module (imported once, under the name the local runner uses too)."""
    if MODULE in sys.modules:
        return sys.modules[MODULE]
    spec = importlib.util.spec_from_file_location(MODULE, path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[MODULE] = module
    return module


def openapi_json() -> str:
    return load_api_module().app.get_openapi_json_schema() + "\n"


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
        sys.stderr.write(f"stale: {path} (run `python -m groupaudit.pipeline.openapi`)\n")
        return 1
    path.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
