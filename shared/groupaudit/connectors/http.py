"""JSON over HTTPS for the platform sources: retries, rate limits, and error texts without secrets.

One :class:`Http` per platform and pull. It retries what the platform says is worth retrying
(HTTP 429 with ``Retry-After``, 5xx, an unreachable host, a cut or garbled answer, and whatever the platform's
``judge`` turns into :class:`RetryLater`, such as Feishu's 99991400 or WeCom's 45009), waits
as told but never longer than ``max_wait_s`` in one go, and gives up after ``max_retries``.
Giving up raises :class:`PlatformError` with ``retryable=True`` so the pipeline can retry the
whole group later; a refusal (bad credentials, no permission, unknown chat) raises it with
``retryable=False``. With a ``deadline`` (the function's time), no call and no wait starts
that would end after it: the pull ends retryable instead of being killed half-way.

Error texts name the platform, the method and path (never the query string, which may carry
a token) and the platform's own message, with every secret the caller registered replaced by
``***``.

Every request goes through the process's connection pool (:mod:`groupaudit.outbound`): a
pull's pages reuse the connection its first call opened, and every new connection goes through
:mod:`groupaudit.netguard`: the host is resolved once and every address it resolves to must be
allowed by the ``network`` (the deployed functions pass ``netguard.PUBLIC``; the default, for
the command line and tests, also allows loopback peers). A redirect is followed only to a target
that passes the same check, and never carries the credentials to another host; a refused
address, and an answer larger than :data:`MAX_BODY_BYTES`, are a final :class:`PlatformError`.
"""

from __future__ import annotations

import http.client
import json
import random
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from groupaudit import netguard, outbound
from groupaudit.errors import GroupAuditError

TIMEOUT_S = 10
MAX_BODY_BYTES = 64 * 1024 * 1024


class PlatformError(GroupAuditError):
    """A platform call failed; ``retryable`` says whether trying the pull again later may help."""

    def __init__(
        self, platform: str, message: str, *, retryable: bool, retry_after_s: float | None = None
    ) -> None:
        super().__init__(f"{platform}: {message}")
        self.platform = platform
        self.retryable = retryable
        self.retry_after_s = retry_after_s


class RetryLater(Exception):
    """Raised by a ``judge`` for an answer worth retrying (the platform's rate-limit code)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body)


# judge(answer) -> the decoded payload; raises PlatformError (final) or RetryLater.
Judge = Callable[[Answer], Any]


def retry_after(answer: Answer) -> float | None:
    """Seconds to wait: ``Retry-After`` (Slack, HTTP), or Feishu's ``x-ogw-ratelimit-reset``."""
    value = answer.header("Retry-After") or answer.header("x-ogw-ratelimit-reset")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


class Http:
    """Calls one platform's API at ``base_url``."""

    def __init__(
        self,
        platform: str,
        base_url: str,
        *,
        secrets: Iterable[str] = (),
        timeout_s: float = TIMEOUT_S,
        max_retries: int = 4,
        max_wait_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float | None = None,
        network: netguard.Network = netguard.LOCAL_PEERS,
        pool: outbound.Pool | None = None,
    ) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.max_wait_s = max_wait_s
        self.sleep = sleep
        self.deadline = deadline  # time.monotonic() after which no call or wait may start
        self.network = network  # which addresses may be called (redirect targets included)
        self.pool = pool or outbound.shared_pool()
        self._secrets: set[str] = {s for s in secrets if s}
        self.calls = 0  # requests sent, retries included
        self.waited_s = 0.0  # time spent waiting before retries

    def sibling(self, base_url: str, secrets: Iterable[str] = ()) -> Http:
        """An Http for another host of the same platform, with the same timeouts, retries,
        sleep and deadline, hiding this one's secrets too."""
        return Http(
            self.platform,
            base_url,
            secrets=[*self._secrets, *secrets],
            timeout_s=self.timeout_s,
            max_retries=self.max_retries,
            max_wait_s=self.max_wait_s,
            sleep=self.sleep,
            deadline=self.deadline,
            network=self.network,
            pool=self.pool,
        )

    def add_secret(self, value: str | None) -> None:
        """Never let ``value`` (a token obtained during the pull) appear in an error text."""
        if value:
            self._secrets.add(value)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    def fail(
        self, message: str, *, retryable: bool = False, retry_after_s: float | None = None
    ) -> PlatformError:
        return PlatformError(
            self.platform, self.redact(message), retryable=retryable, retry_after_s=retry_after_s
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        judge: Judge | None = None,
    ) -> Any:
        """Sends until the platform gives a judged answer; returns ``judge(answer)`` (by
        default the JSON of a 2xx answer)."""
        judge = judge or self.default_judge
        url = f"{self.base_url}{path}"
        if query:
            pairs = {k: v for k, v in query.items() if v is not None}
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(pairs, doseq=True)
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        sent_headers = {"Accept": "application/json", **(headers or {})}
        if data is not None:
            sent_headers.setdefault("Content-Type", "application/json; charset=utf-8")
        where = f"{method} {path}"
        attempt = 0
        while True:
            attempt += 1
            wait: float | None
            self._check_deadline(where, 0.0)
            try:
                answer = self._send(method, url, data, sent_headers)
            except netguard.AddressRefused as exc:
                raise self.fail(f"{where} refused: {exc}") from None
            except outbound.BodyTooLarge as exc:
                raise self.fail(f"{where}: {exc}") from None
            except (TimeoutError, OSError) as exc:
                reason = f"{where} unreachable: {getattr(exc, 'reason', exc)}"
                wait = None
            except http.client.HTTPException as exc:  # a cut or garbled answer: worth another try
                reason = f"{where}: no valid HTTP answer ({type(exc).__name__})"
                wait = None
            else:
                if answer.status == 429:
                    reason, wait = f"{where}: HTTP 429 (rate limited)", retry_after(answer)
                elif answer.status >= 500:
                    reason, wait = f"{where}: HTTP {answer.status}", retry_after(answer)
                else:
                    try:
                        return judge(answer)
                    except RetryLater as exc:
                        reason, wait = f"{where}: {exc}", exc.retry_after_s
            if wait is None:
                wait = min(0.5 * 2 ** (attempt - 1), 8.0) * (1 + random.random() / 4)
            if attempt > self.max_retries or wait > self.max_wait_s:
                raise self.fail(
                    f"{reason}; gave up after {attempt} attempt(s)", retryable=True, retry_after_s=wait
                )
            self._check_deadline(where, wait)
            self.waited_s += wait
            self.sleep(wait)

    def _check_deadline(self, where: str, wait: float) -> None:
        """A pull that cannot finish before the function's time runs out ends now, retryable,
        instead of being killed half-way."""
        if self.deadline is not None and time.monotonic() + wait > self.deadline:
            raise self.fail(
                f"{where}: out of time in this invocation; the pull will be retried", retryable=True
            )

    def default_judge(self, answer: Answer) -> Any:
        if not 200 <= answer.status < 300:
            raise self.fail(f"HTTP {answer.status}: {answer.body[:300].decode(errors='replace')}")
        return self.decode(answer)

    def decode(self, answer: Answer) -> Any:
        try:
            return answer.json()
        except ValueError:
            raise self.fail(f"HTTP {answer.status} without a JSON body") from None

    def _send(self, method: str, url: str, data: bytes | None, headers: Mapping[str, str]) -> Answer:
        self.calls += 1
        reply = self.pool.request(
            method,
            url,
            network=self.network,
            timeout=self.timeout_s,
            body=data,
            headers=headers,
            redirects=True,
            max_body=MAX_BODY_BYTES,
        )
        return Answer(reply.status, reply.headers, reply.body)
