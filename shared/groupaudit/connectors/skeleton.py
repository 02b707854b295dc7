"""What every API connector shares: judging a platform's answer from its table, one token
session, one pager and one epoch reader.

- :class:`Verdicts` is how one platform says how a call went (data, not code): the field of its
  code, the codes that mean ok, rate limited, token expired, retryable or gone, its hints.
  :func:`judge` reads an :class:`~groupaudit.connectors.http.Answer` with it: the payload, or
  :class:`RetryLater` (waited out by :class:`~groupaudit.connectors.http.Http`),
  :class:`TokenExpired` (renewed once by :class:`TokenSession`), :class:`Gone` (the caller
  expects it), or a :class:`PlatformError` naming the call, the platform's code and words, and
  the hint, with every secret replaced by ``***``.
- :class:`TokenSession` fetches an access token, keeps it until its expiry minus a margin,
  fetches a new one once when a call answers "token expired", and registers every token as a
  secret of the hosts it is sent to.
- :func:`follow` reads the pages of a cursor-paginated list (``has_more``/next cursor), and
  ends with an error when the cursor comes back (a loop) or the pages pass a cap.
- :func:`epoch` reads epoch seconds or milliseconds as an aware UTC instant, or None.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from groupaudit.connectors.http import Answer, Http, RetryLater, retry_after

T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_PAGES = 10_000  # no group's list is this long: beyond it the platform is looping
TOKEN_MARGIN_S = 300.0  # a token is renewed this long before the platform says it expires


class TokenExpired(Exception):
    """The platform refused the access token as expired or invalid: fetch a new one."""


class Gone(Exception):
    """The platform says the thing asked for is not there (a code the caller expects)."""


@dataclass(frozen=True)
class Verdicts:
    """How one platform (or one of its hosts) answers: data read by :func:`judge`.

    ``label`` formats the code in error texts (``{code}``, ``{sub_code}``, ``{status}``); a
    ``sub_code`` found adds ``sub_label``. ``ok_when_2xx`` trusts the HTTP status alone (hosts
    that answer errors with 4xx); ``ok_field`` names a boolean that must be true (Slack's
    ``ok``); otherwise the code must be one of ``ok_codes`` (a missing code reads as None).
    ``wait_s`` is the wait after a rate-limit code (or reads it from the answer); None takes
    the answer's ``Retry-After``. A code set may hold ``(code, sub_code)`` pairs.
    ``raw_http_errors``: a non-2xx answer is an error of its own, its body not read for a code.
    """

    code_field: str
    message_fields: tuple[str, ...]
    label: str
    ok_codes: frozenset[Any] = frozenset({0})
    ok_field: str | None = None
    ok_when_2xx: bool = False
    raw_http_errors: bool = False
    text_codes: bool = False  # codes compared as text (DingTalk writes both 0 and "0")
    sub_code_field: str | None = None
    sub_label: str = ""
    missing_code: str | None = None  # the code when the field is absent or not text
    rate_limited: frozenset[Any] = frozenset()
    retry_prefix: str = ""  # words before a rate limit's code ("rate limited, ")
    wait_s: float | Callable[[Answer], float | None] | None = None
    token_expired: frozenset[Any] = frozenset()
    retryable: frozenset[Any] = frozenset()
    hints: Mapping[Any, str] = field(default_factory=dict)
    detail: Callable[[Mapping[str, Any]], str] | None = None  # more words from the payload
    throttle: Callable[[Mapping[str, Any]], None] | None = None  # raises RetryLater on a throttle body


def json_object(answer: Answer) -> dict[str, Any] | None:
    """The answer's JSON object, or None when it has none."""
    try:
        body = json.loads(answer.body)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _code(verdicts: Verdicts, body: Mapping[str, Any], field_name: str | None) -> Any:
    value = body.get(field_name) if field_name else None
    if verdicts.missing_code is not None and not isinstance(value, str):
        return None
    if verdicts.text_codes:
        return None if value in (None, "") else str(value)
    return value


def _wait(verdicts: Verdicts, answer: Answer) -> float | None:
    if callable(verdicts.wait_s):
        return verdicts.wait_s(answer)
    return verdicts.wait_s if verdicts.wait_s is not None else retry_after(answer)


def judge(
    verdicts: Verdicts,
    http: Http,
    where: str,
    answer: Answer,
    *,
    tolerate: Iterable[Any] = (),
    gone: Iterable[Any] = (),
    renew: bool = True,
) -> dict[str, Any]:
    """The payload of ``answer`` (an object), judged by ``verdicts``: a ``tolerate`` code comes
    back as the payload, a ``gone`` code raises :class:`Gone`, an expired token raises
    :class:`TokenExpired` (with ``renew``), a rate limit :class:`RetryLater`; anything else not
    ok is a :class:`PlatformError`."""
    two_xx = 200 <= answer.status < 300
    if not two_xx and verdicts.raw_http_errors:
        raise http.fail(f"{where}: HTTP {answer.status}: {answer.body[:300].decode(errors='replace')}")
    payload = json_object(answer)
    if payload is None:
        if two_xx:
            http.decode(answer)  # "HTTP 200 without a JSON body" when it is not JSON at all
            raise http.fail(f"{where}: expected a JSON object")
        raise http.fail(f"{where}: HTTP {answer.status}: {answer.body[:300].decode(errors='replace')}")
    if verdicts.throttle is not None and two_xx:
        verdicts.throttle(payload)
    code = _code(verdicts, payload, verdicts.code_field)
    if two_xx and (
        verdicts.ok_when_2xx
        or (payload.get(verdicts.ok_field) is True if verdicts.ok_field else code in verdicts.ok_codes)
    ):
        return payload
    if code is None and verdicts.missing_code is not None:
        code = verdicts.missing_code.format(status=answer.status)
    sub_code = _code(verdicts, payload, verdicts.sub_code_field)
    message = next((str(m) for f in verdicts.message_fields if (m := payload.get(f))), "")
    label = verdicts.label.format(code=code, status=answer.status)
    if sub_code is not None:
        label += verdicts.sub_label.format(sub_code=sub_code)
    said = f"{label}: {message}" if message else label
    codes = {code, sub_code, (code, sub_code)} - {None}
    if codes & verdicts.rate_limited:
        raise RetryLater(f"{verdicts.retry_prefix}{said}", _wait(verdicts, answer))
    if renew and codes & verdicts.token_expired:
        raise TokenExpired(said)
    if codes & set(tolerate):
        return payload
    if codes & set(gone):
        raise Gone(said)
    detail = verdicts.detail(payload) if verdicts.detail is not None else ""
    hint = next((f" ({verdicts.hints[c]})" for c in (code, sub_code) if c in verdicts.hints), "")
    raise http.fail(f"{where}: {said}{detail or hint}", retryable=bool(codes & verdicts.retryable))


class TokenSession:
    """One access token of one app: fetched when first needed, kept until ``expires_in``
    minus a margin (at most half its life), renewed once when a call says it expired.

    ``fetch`` returns ``(token, expires_in seconds or None)``; the token is registered as a
    secret of ``http`` and every host in ``also``, so no error text can show it. :meth:`request`
    sends it as the ``query`` parameter or the ``header`` (formatted by ``header_value``)."""

    def __init__(
        self,
        http: Http,
        fetch: Callable[[], tuple[str, float | None]],
        *,
        query: str | None = None,
        header: str | None = None,
        header_value: str = "{token}",
        also: Iterable[Http] = (),
        margin_s: float = TOKEN_MARGIN_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.http = http
        self._fetch = fetch
        self._hosts = [http, *also]
        self._margin_s = margin_s
        self._clock = clock
        self._query, self._header, self._header_value = query, header, header_value
        self._token: str | None = None
        self._until = 0.0
        self.fetched = 0  # tokens obtained

    def token(self) -> str:
        if self._token is None or self._clock() >= self._until:
            token, expires_in = self._fetch()
            if not isinstance(token, str) or not token:
                raise self.http.fail("the token answer has no token")
            for host in self._hosts:
                host.add_secret(token)
            life = float(expires_in) if expires_in and expires_in > 0 else float("inf")
            self._token, self._until = token, self._clock() + life - min(self._margin_s, life / 2)
            self.fetched += 1
        return self._token

    def forget(self) -> None:
        self._token = None

    def call(self, where: str, send: Callable[[str], T]) -> T:
        """``send(token)``; when it raises :class:`TokenExpired`, once more with a new token."""
        try:
            return send(self.token())
        except TokenExpired:
            self.forget()
        try:
            return send(self.token())
        except TokenExpired as again:
            raise self.http.fail(f"{where}: a fresh access token was rejected too ({again})") from None

    def request(
        self,
        method: str,
        path: str,
        judge: Callable[[str, Answer], Any],
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """``http.request`` with the token, judged by ``judge(where, answer)``; renewed once."""
        where = f"{method} {path}"

        def send(token: str) -> Any:
            return self.http.request(
                method,
                path,
                query={**({self._query: token} if self._query else {}), **(query or {})},
                body=body,
                headers={
                    **({self._header: self._header_value.format(token=token)} if self._header else {}),
                    **(headers or {}),
                },
                judge=lambda answer: judge(where, answer),
            )

        return self.call(where, send)


def fetch_token(
    http: Http,
    verdicts: Verdicts,
    method: str,
    path: str,
    token_field: str,
    expiry_field: str,
    *,
    query: Mapping[str, Any] | None = None,
    body: Any = None,
) -> tuple[str, float | None]:
    """``(token, expires_in)`` from the platform's token call (judged without renewal); an
    answer without the token is an error."""
    where = f"{method} {path}"
    payload = http.request(
        method, path, query=query, body=body, judge=lambda a: judge(verdicts, http, where, a, renew=False)
    )
    token = payload.get(token_field)
    if not isinstance(token, str) or not token:
        raise http.fail(f"{where}: no {token_field} in the answer")
    expires = payload.get(expiry_field)
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        return token, None
    return token, float(expires)


def follow(
    http: Http,
    where: str,
    fetch: Callable[[Any], Mapping[str, Any]],
    next_cursor: Callable[[Mapping[str, Any]], Any],
    *,
    has_more: Callable[[Mapping[str, Any]], bool] | None = None,
    first: Any = None,
    max_pages: int = MAX_PAGES,
    loop_retryable: bool = False,
) -> Iterator[Mapping[str, Any]]:
    """Each page of a list: ``fetch(cursor)`` from ``first`` until ``has_more`` (by default:
    a next cursor is given) says it is over. A cursor that comes back, more pages promised
    without a cursor, or more than ``max_pages`` pages end with a :class:`PlatformError`."""
    cursor, seen = first, set()
    for _ in range(max_pages):
        page = fetch(cursor)
        yield page
        cursor = next_cursor(page)
        if not (has_more(page) if has_more is not None else bool(cursor)):
            return
        if not isinstance(cursor, str | int) or cursor == "":
            raise http.fail(f"{where}: more pages promised without a next cursor")
        if cursor in seen:
            raise http.fail(f"{where}: the cursor {cursor!r} came back twice", retryable=loop_retryable)
        seen.add(cursor)
    raise http.fail(f"{where}: more than {max_pages} pages", retryable=loop_retryable)


def epoch(value: Any, *, unit: float = 1.0, strings: bool = True, whole: bool = False) -> datetime | None:
    """The instant of ``value`` epoch units (seconds; ``unit=1e-3`` for milliseconds), or None
    for 0, a negative, a bool or anything not a number (``strings``: or a number's text).
    ``whole`` drops the fraction (Slack's ``created``)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str) and not strings:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if not number > 0 or number == float("inf"):
        return None
    if whole:
        return _EPOCH + timedelta(seconds=int(number * unit))
    return datetime.fromtimestamp(number * unit, UTC)
