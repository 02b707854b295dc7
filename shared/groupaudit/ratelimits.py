"""The platforms' own rate-limit answers, read the same way by a pull and by a robot's post.

Below both the connectors (``groupaudit.connectors.http``, the platform sources) and the
notifiers (``groupaudit.notifiers.robots``), which are independent of each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Feishu's rate-limit codes, the one table for its API source and its custom bot: 99991400
# (the gateway's frequency control, HTTP 429 or 400 with x-ogw-ratelimit-reset; server-docs/
# api-call-guide/frequency-control), 232019 (the chat APIs' "The request has been rate
# limited", 触发群限流), 230020 (the message APIs' "This operation triggers the frequency
# limit") and 11232 (a custom bot's frequency limit, 100/minute and 5/second per bot).
FEISHU_RATE_LIMITED: frozenset[int] = frozenset({99991400, 232019, 230020, 11232})
# DingTalk's IP-level throttle answers without an errcode: ``{"status": 1111, "wait": 5,
# "source": "x5", "punish": "deny", "uuid": …}``. Its page on API throttling pairs that body with
# "20 seconds, 10,000 calls per IP; then refused for 5 minutes": ``wait`` is read as minutes.
DINGTALK_THROTTLE_STATUS = 1111
DINGTALK_THROTTLE_DEFAULT_S = 300.0


def dingtalk_throttle_wait(payload: Mapping[str, Any]) -> float | None:
    """Seconds to wait when ``payload`` is DingTalk's throttle body (``status`` 1111 or
    ``punish: deny``), else None."""
    status, punish = payload.get("status"), payload.get("punish")
    if str(status) != str(DINGTALK_THROTTLE_STATUS) and punish != "deny":
        return None
    wait = payload.get("wait")
    if isinstance(wait, bool) or not isinstance(wait, int | float | str):
        return DINGTALK_THROTTLE_DEFAULT_S
    try:
        minutes = float(wait)
    except ValueError:
        return DINGTALK_THROTTLE_DEFAULT_S
    return minutes * 60 if 0 < minutes <= 24 * 60 else DINGTALK_THROTTLE_DEFAULT_S
