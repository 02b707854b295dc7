"""A platform app's credentials for ``groupaudit pull``: a JSON file, or the environment.

The environment variables are the names each platform's own SDKs and guides use; where a
platform has none for a field, ``GROUPAUDIT_<PLATFORM>_<FIELD>``. The first set variable of a
field's names wins. Documented in docs/CLI.md (``groupaudit pull``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from groupaudit.errors import InputError, Problem

#: platform -> credential key -> (environment variables, first set one wins), required?
ENVIRONMENT: dict[str, dict[str, tuple[tuple[str, ...], bool]]] = {
    "slack": {"token": (("SLACK_BOT_TOKEN",), True)},
    "feishu": {
        "app_id": (("FEISHU_APP_ID",), True),
        "app_secret": (("FEISHU_APP_SECRET",), True),
    },
    "dingtalk": {
        "app_key": (("DINGTALK_CLIENT_ID", "DINGTALK_APP_KEY"), True),
        "app_secret": (("DINGTALK_CLIENT_SECRET", "DINGTALK_APP_SECRET"), True),
        "operator_union_id": (("GROUPAUDIT_DINGTALK_OPERATOR_UNION_ID",), False),
    },
    "wecom": {
        "corp_id": (("WECOM_CORP_ID",), True),
        "secret": (("WECOM_SECRET",), True),
    },
}


def from_environment(platform: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The platform's credentials from the environment; InputError naming every missing variable."""
    environ = os.environ if environ is None else environ
    found: dict[str, str] = {}
    missing: list[str] = []
    for key, (names, required) in ENVIRONMENT[platform].items():
        value = next((environ[name] for name in names if environ.get(name)), None)
        if value is not None:
            found[key] = value
        elif required:
            missing.append(" or ".join(names))
    if missing:
        raise InputError(
            "pull",
            [
                Problem(
                    "--credentials",
                    f"no {platform} credentials: pass --credentials FILE or set {', '.join(missing)}",
                )
            ],
        )
    return found


def help_text() -> str:
    """The variables, for ``--credentials``' help."""
    parts = []
    for platform, keys in ENVIRONMENT.items():
        names = ", ".join("|".join(names) for names, _ in keys.values())
        parts.append(f"{platform}: {names}")
    return "; ".join(parts)
