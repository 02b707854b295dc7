"""Generate docs/schemas/*.json and docs/RULES.md from the models and the rule registry.

``python -m groupaudit.docs_gen [--check]`` (``make schemas``); the test suite runs the check,
so a change to a model or a rule without regenerating the docs fails.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import Any

from groupaudit.rules import REGISTRY
from groupaudit.schemas import SCHEMA_NAMES, schema_json


def _default(value: Any) -> str:
    if isinstance(value, tuple | list):
        if len(value) > 6:
            return ", ".join(str(v) for v in value[:6]) + f", … ({len(value)} in all)"
        return ", ".join(str(v) for v in value) or "(none)"
    if hasattr(value, "model_dump"):
        return ", ".join(f"{k} {v}" for k, v in value.model_dump().items())
    return str(value)


def rules_markdown() -> str:
    lines = [
        "# Rules",
        "",
        "Generated from the rule registry by `make schemas`; do not edit by hand.",
        "Every setting can be set in the policy file under `rules.<rule id>` in `defaults`,",
        "`profiles.<group kind>` or `groups.<group id>` (see `docs/POLICY.md`).",
        "",
        "| rule | what | policy clause | needs |",
        "|---|---|---|---|",
    ]
    for spec in REGISTRY.values():
        needs = []
        if spec.needs_directory:
            needs.append("directory" + (" (partly)" if spec.partial_without_directory else ""))
        if spec.needs_backups:
            needs.append("backup store")
        what = f"{spec.title_en} ({spec.title_zh})"
        lines.append(f"| `{spec.id}` | {what} | {spec.policy_ref} | {', '.join(needs) or '—'} |")
    for spec in REGISTRY.values():
        lines += ["", f"## `{spec.id}`", ""]
        meaning = _meaning(spec.check)
        if meaning:
            lines += [meaning, ""]
        lines += ["| setting | default | meaning |", "|---|---|---|"]
        defaults = spec.config()
        for name, field in spec.config.model_fields.items():
            meaning = field.description or {
                "enabled": "run this rule",
                "severity": "severity of its findings",
            }.get(name, "")
            value = _default(getattr(defaults, name)).replace("|", "\\|")
            lines.append(f"| `{name}` | {value} | {meaning} |")
    return "\n".join(lines) + "\n"


def _meaning(check: object) -> str:
    """The rule module's docstring after its title line: what the rule means, in prose."""
    module = sys.modules.get(getattr(check, "__module__", ""))
    doc = inspect.cleandoc(module.__doc__ or "") if module is not None else ""
    _, _, rest = doc.partition("\n")
    return rest.strip().replace("``", "`")


def outputs(docs: Path) -> dict[Path, str]:
    files = {docs / "schemas" / f"{name}.schema.json": schema_json(name) for name in SCHEMA_NAMES}
    files[docs / "RULES.md"] = rules_markdown()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", default="docs", help="docs folder (default: docs)")
    parser.add_argument("--check", action="store_true", help="fail if a generated file is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs(Path(args.docs)).items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path}", file=sys.stderr)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
