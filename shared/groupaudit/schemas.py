"""JSON Schemas of the public formats, generated from the models (docs/schemas/ holds them)."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from groupaudit.contracts import GROUP_KINDS, Directory, Report, Snapshot

SCHEMA_NAMES = ("snapshot", "directory", "findings", "policy")
_TITLES = {
    "snapshot": "groupaudit group snapshot (schema_version 1)",
    "directory": "groupaudit directory (HR roster, schema_version 1)",
    "findings": "groupaudit findings (the output of one audit)",
    "policy": "groupaudit policy file (version 1)",
}


def _policy_schema() -> dict[str, Any]:
    from groupaudit.policy import Policy

    layer = Policy.model_json_schema(ref_template="#/$defs/{model}")
    defs = layer.pop("$defs", {})
    defs["PolicyLayer"] = layer
    ref = {"$ref": "#/$defs/PolicyLayer"}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "version": {"const": 1, "default": 1},
            "defaults": ref,
            "profiles": {
                "type": "object",
                "propertyNames": {"enum": list(GROUP_KINDS)},
                "additionalProperties": ref,
            },
            "groups": {"type": "object", "additionalProperties": ref},
        },
        "$defs": defs,
    }


def schema(name: str) -> dict[str, Any]:
    if name == "policy":
        document = _policy_schema()
    else:
        model = {"snapshot": Snapshot, "directory": Directory, "findings": Report}[name]
        document = msgspec.json.schema(model)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": _TITLES[name], **document}


def schema_json(name: str) -> str:
    return json.dumps(schema(name), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
