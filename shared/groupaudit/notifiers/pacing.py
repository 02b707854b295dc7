"""Keeps each robot under its platform's send rate across every concurrent notifier.

The limits (ARCHITECTURE.md, "Platform facts"): DingTalk and WeCom robots 20 messages a
minute (DingTalk then stops the robot for 10 minutes), Feishu 5 a second and 100 a minute,
Slack about one a second per channel. Each robot (one webhook URL) has a sliding send log in
the DynamoDB table (:meth:`Limits.take_send_slot`): a notifier takes a slot before every part
it posts, waits when the log is full (up to ``max_wait_s``), and otherwise gives the notice
back to SQS with the time to wait. When the platform still says "too fast", the robot is
blocked for everyone until the platform's penalty is over.

Windows carry a small margin (2 %, at least 0.1 s) for the clock difference between
notifiers and the network's jitter.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from groupaudit.notifiers.channels import DeliveryError

RATES: dict[str, tuple[tuple[int, float], ...]] = {
    "dingtalk": ((20, 60.0),),
    "wecom": ((20, 60.0),),
    "feishu": ((5, 1.0), (100, 60.0)),
    "slack": ((1, 1.0),),
}
# How long the platform stops a robot that sent too fast (when it says nothing more precise).
PENALTY_S: dict[str, float] = {"dingtalk": 600.0, "wecom": 60.0, "feishu": 60.0, "slack": 30.0}


def with_margin(windows: tuple[tuple[int, float], ...]) -> tuple[tuple[int, float], ...]:
    """Each window widened by what may pass between taking a slot and the platform counting the
    post (scheduling, TLS, the network's jitter): a quarter second, or 5 % of a long window. A
    tenth of a second was too little on a busy host: the platform saw six posts in its second."""
    return tuple((limit, seconds + max(0.25, seconds * 0.05)) for limit, seconds in windows)


class PacingWait(DeliveryError):
    """The robot's rate is used up for longer than a notifier may wait: retry the notice later."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message, retryable=True)
        self.retry_after_s = retry_after_s


class Pacer:
    """Call it before each post through the robot at ``url``."""

    def __init__(
        self,
        store: Any,
        platform: str,
        url: str,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_wait_s: float = 20.0,
        windows: tuple[tuple[int, float], ...] | None = None,
    ) -> None:
        self.store = store
        self.platform = platform
        # the URL holds the robot's token: only a digest of it is stored
        self.key = f"{platform}#{hashlib.sha256(url.encode()).hexdigest()[:32]}"
        self.windows = windows or with_margin(RATES[platform])
        self.clock = clock
        self.sleep = sleep
        self.max_wait_s = max_wait_s
        self.waited_s = 0.0

    def __call__(self) -> None:
        while True:
            wait = self.store.take_send_slot(self.key, self.windows, self.clock())
            if wait <= 0:
                return
            if wait > self.max_wait_s:
                raise PacingWait(f"{self.platform} robot rate in use: next slot in {wait:.0f} s", wait)
            self.waited_s += wait
            self.sleep(wait)

    def throttled(self, retry_after_s: float | None) -> None:
        """The platform refused a post as too fast: block the robot for its penalty."""
        penalty = retry_after_s if retry_after_s is not None else PENALTY_S[self.platform]
        self.store.block_sends(self.key, self.clock() + penalty)
