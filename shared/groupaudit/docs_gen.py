"""Generate docs/schemas/*.json and docs/RULES.md from the models and the rule registry.

``python -m groupaudit.docs_gen [--check]`` (``make schemas``); the test suite runs the check,
so a change to a model or a rule without regenerating the docs fails.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from pathlib import Path
from typing import Any

from groupaudit.rules import REGISTRY
from groupaudit.rules.base import Example, RuleSpec
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
        "`profiles.<group kind>` or `groups.<group id>` (see `docs/POLICY.md`); what rules share",
        "is a section of its own: `files` (which files are important, version markers) and",
        "`names` (how a display name splits into 部门+姓名).",
        "A rule is one module of `shared/groupaudit/rules/` whose `RULE` spec carries all of the",
        "below, examples included; `docs/ADDING_A_RULE.md` says how to add one. Every rule's",
        "examples are run by `tests/rules/test_examples.py`, and what they find is shown here.",
        "",
        "| rule | what | severity | policy clause | needs |",
        "|---|---|---|---|---|",
    ]
    for spec in REGISTRY.values():
        needs = []
        if spec.needs_directory:
            needs.append("directory" + (" (partly)" if spec.partial_without_directory else ""))
        if spec.needs_backups:
            needs.append("backup store")
        if spec.tenant_wide:
            needs.append("all of a tenant's groups")
        what = f"{spec.title_en} ({spec.title_zh})"
        row = f"| `{spec.id}` | {what} | {spec.severity} | {spec.policy_ref} | {', '.join(needs) or '—'} |"
        lines.append(row)
    for spec in REGISTRY.values():
        lines += ["", f"## `{spec.id}`", ""]
        meaning = _meaning(spec.check)
        if meaning:
            lines += [meaning, ""]
        lines += ["| setting | default | meaning |", "|---|---|---|"]
        defaults = spec.defaults()
        for name, field in spec.config.model_fields.items():
            meaning = field.description or {
                "enabled": "run this rule",
                "severity": "severity of its findings",
            }.get(name, "")
            value = _default(getattr(defaults, name)).replace("|", "\\|")
            lines.append(f"| `{name}` | {value} | {meaning} |")
        lines += _facts(spec)
        lines += _examples(spec)
    return "\n".join(lines) + "\n"


def _facts(spec: RuleSpec) -> list[str]:
    out = [""]
    if spec.table_evidence:
        out.append(f"Table evidence: {', '.join(f'`{key}`' for key in spec.table_evidence)}.")
    mentions = (inspect.getdoc(spec.mentions) or "").partition("\n")[0]
    if mentions:
        out.append(f"A notice @-mentions: {mentions[0].lower()}{mentions[1:]}")
    if spec.lookback_days is not None:
        out.append(f"Messages needed: the last {spec.lookback_days(spec.defaults())} days (by default).")
    if spec.partial_without_directory:
        out.append(f"Without a directory: {spec.partial_without_directory}.")
    for kind, settings in spec.profiles.items():
        shown = ", ".join(f"`{key}: {json.dumps(value)}`" for key, value in settings.items())
        out.append(f"Built in for `{kind}` groups: {shown}.")
    return out


def _json_block(value: object) -> list[str]:
    """A fragment as JSON, one record a line."""
    if not isinstance(value, dict):
        return [json.dumps(value, ensure_ascii=False)]
    lines = ["{"]
    items = list(value.items())
    for index, (key, item) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        if isinstance(item, list) and item:
            lines.append(f"  {json.dumps(key)}: [")
            lines += [
                f"    {json.dumps(record, ensure_ascii=False)}{',' if n < len(item) - 1 else ''}"
                for n, record in enumerate(item)
            ]
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(item, ensure_ascii=False)}{comma}")
    lines.append("}")
    return lines


def _examples(spec: RuleSpec) -> list[str]:
    from groupaudit.rule_examples import run_example

    out = ["", "### Examples"]
    for example in spec.examples:
        zh, en = run_example(spec, example, "zh"), run_example(spec, example, "en")
        verdict = "Fires" if example.fires else "Does not fire"
        out += [
            "",
            f"**{verdict}**: {example.title}.",
            "",
            "```json",
            *_json_block(dict(example.snapshot)),
            "```",
        ]
        out += _inputs(example)
        if not zh.findings:
            out += ["", "Finds nothing."]
            continue
        out += [""]
        for zh_finding, en_finding in zip(zh.findings, en.findings, strict=True):
            where = [f"subject `{zh_finding.subject_id}`"]
            where += [f"message `{zh_finding.message_id}`"] if zh_finding.message_id else []
            where += [f"file `{zh_finding.file_id}`"] if zh_finding.file_id else []
            kind = f" `{zh_finding.kind}`" if zh_finding.kind else ""
            out.append(f"- `{zh_finding.rule}`{kind} ({zh_finding.severity}), {', '.join(where)}:")
            out.append(f"  {zh_finding.summary} / {en_finding.summary}")
    return out


def _inputs(example: Example) -> list[str]:
    out = []
    if example.directory is not None:
        out += ["", "With the directory:", "", "```json", *_json_block(dict(example.directory)), "```"]
    if example.settings:
        settings = json.dumps(dict(example.settings), ensure_ascii=False)
        out += ["", f"With the settings `{settings}`."]
    if example.backups:
        out += ["", f"With the backup store holding {', '.join(h[:12] + '…' for h in example.backups)}."]
    return out


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
