"""The connectors' shared skeleton: the table-driven judge, the token session, the pager and
the epoch reader, each on its own (the connectors' tests drive them against the peers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from groupaudit.connectors.dingtalk import API, OAPI
from groupaudit.connectors.feishu import FEISHU
from groupaudit.connectors.http import Answer, Http, PlatformError, RetryLater
from groupaudit.connectors.skeleton import Gone, TokenExpired, TokenSession, epoch, follow, judge
from groupaudit.connectors.slack_api import SLACK
from groupaudit.connectors.wecom import WECOM


def _http(*secrets: str) -> Http:
    waits: list[float] = []
    return Http("demo", "http://127.0.0.1:9", secrets=secrets, sleep=waits.append)


def _answer(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, headers or {}, json.dumps(body).encode())


# --- judge ---------------------------------------------------------------------------------------


def test_each_platforms_success_comes_back_as_the_payload():
    # GIVEN each platform's own way of saying "ok"
    cases = [
        (WECOM, {"errcode": 0, "errmsg": "ok", "x": 1}),
        (WECOM, {"x": 1}),  # WeCom leaves errcode out of some answers
        (OAPI, {"errcode": "0", "x": 1}),  # DingTalk writes the code as text too
        (API, {"x": 1}),
        (FEISHU, {"code": 0, "msg": "success", "x": 1}),
        (SLACK, {"ok": True, "x": 1}),
    ]
    for verdicts, body in cases:
        # WHEN judged THEN the payload is returned unchanged
        assert judge(verdicts, _http(), "GET /x", _answer(body)) == body


def test_a_refusal_names_the_call_the_code_the_words_and_the_hint_with_secrets_masked():
    # GIVEN a WeCom refusal that echoes the secret
    answer = _answer({"errcode": 60011, "errmsg": "no privilege for s3cr3t"})
    # WHEN judged
    with pytest.raises(PlatformError) as raised:
        judge(WECOM, _http("s3cr3t"), "GET /cgi-bin/user/get", answer)
    # THEN the text is exact, final, and masked
    assert str(raised.value) == (
        "demo: GET /cgi-bin/user/get: errcode 60011: no privilege for *** "
        "(outside the app's visible range (add the group owner / members to the app's visibility))"
    )
    assert raised.value.retryable is False


def test_dingtalk_sub_codes_are_named_and_88_without_one_is_a_rate_limit():
    # GIVEN DingTalk's topapi wrapper code with and without a sub_code
    with pytest.raises(PlatformError) as raised:
        judge(
            OAPI,
            _http(),
            "POST /topapi/x",
            _answer({"errcode": 88, "sub_code": "60011", "sub_msg": "无权限"}),
        )
    assert str(raised.value) == "demo: POST /topapi/x: errcode 88 (sub_code 60011): 无权限"
    # WHEN errcode 88 comes alone THEN it is waited out for DingTalk's one-second window
    with pytest.raises(RetryLater) as later:
        judge(OAPI, _http(), "POST /topapi/x", _answer({"errcode": 88, "errmsg": "busy"}))
    assert str(later.value) == "rate limited, errcode 88: busy" and later.value.retry_after_s == 1.0


def test_rate_limits_wait_as_each_platform_says():
    # GIVEN Feishu (reset header), Slack (Retry-After) and DingTalk's IP throttle body
    feishu = _answer({"code": 99991400, "msg": "too many"}, 400, {"x-ogw-ratelimit-reset": "7"})
    slack = _answer({"ok": False, "error": "ratelimited"}, 200, {"Retry-After": "3"})
    throttle = _answer({"status": 1111, "wait": 5, "punish": "deny"})
    # WHEN judged THEN each is a RetryLater with its own wait
    waits = []
    for verdicts, answer in ((FEISHU, feishu), (SLACK, slack), (OAPI, throttle), (API, throttle)):
        with pytest.raises(RetryLater) as later:
            judge(verdicts, _http(), "GET /x", answer)
        waits.append(later.value.retry_after_s)
    assert waits == [7.0, 3.0, 300.0, 300.0]


def test_tolerated_gone_expired_and_retryable_codes():
    http = _http()
    # GIVEN a tolerated code THEN the payload comes back
    assert judge(
        SLACK,
        http,
        "users.info",
        _answer({"ok": False, "error": "user_not_found"}),
        tolerate={"user_not_found"},
    )
    # GIVEN a code the caller expects as missing THEN Gone
    with pytest.raises(Gone, match="errcode 60111: userid not found"):
        judge(WECOM, http, "GET /u", _answer({"errcode": 60111, "errmsg": "userid not found"}), gone={60111})
    # GIVEN an expired token THEN TokenExpired, unless the call is the token call itself
    with pytest.raises(TokenExpired, match="errcode 42001"):
        judge(WECOM, http, "GET /g", _answer({"errcode": 42001, "errmsg": "expired"}))
    with pytest.raises(PlatformError, match="GET /gettoken: errcode 42001: expired"):
        judge(WECOM, http, "GET /gettoken", _answer({"errcode": 42001, "errmsg": "expired"}), renew=False)
    # GIVEN Feishu's "please retry" code THEN a final error that is retryable
    with pytest.raises(PlatformError) as raised:
        judge(FEISHU, http, "GET /c", _answer({"code": 234019, "msg": "Please retry."}, 400))
    assert raised.value.retryable is True
    assert str(raised.value) == "demo: GET /c: HTTP 400, code 234019: Please retry."


def test_answers_that_are_not_json_objects_are_clear_errors():
    http = _http()
    with pytest.raises(PlatformError, match=r"GET /x: HTTP 502: <html>"):
        judge(API, http, "GET /x", Answer(502, {}, b"<html>bad gateway</html>"))
    with pytest.raises(PlatformError, match="GET /x: expected a JSON object"):
        judge(WECOM, http, "GET /x", _answer([1, 2]))
    with pytest.raises(PlatformError, match="HTTP 200 without a JSON body"):
        judge(SLACK, http, "GET /x", Answer(200, {}, b"not json"))
    with pytest.raises(PlatformError) as raised:
        judge(SLACK, http, "conversations.info", _answer({"ok": False}, 404))
    assert str(raised.value) == "demo: conversations.info: HTTP 404"


# --- the token session ---------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _session(lifetime: float | None = 7200.0) -> tuple[TokenSession, Http, _Clock, list[str]]:
    http, clock = _http(), _Clock()
    issued: list[str] = []

    def fetch() -> tuple[str, float | None]:
        issued.append(f"tok-{len(issued) + 1}")
        return issued[-1], lifetime

    return TokenSession(http, fetch, clock=clock), http, clock, issued


def test_a_token_is_kept_until_its_expiry_minus_the_margin_then_fetched_again():
    # GIVEN a session whose tokens live 7200 s
    session, http, clock, _ = _session()
    # WHEN asked three times: now, 6899 s later, and 6900 s later (five minutes before expiry)
    first = session.token()
    clock.now += 6899
    second = session.token()
    clock.now += 1
    third = session.token()
    # THEN one token served the first two, a new one the third; both are secrets of the host
    assert (first, second, third) == ("tok-1", "tok-1", "tok-2")
    assert http.redact("tok-1 tok-2") == "*** ***"


def test_a_short_lived_token_is_kept_for_half_its_life():
    # GIVEN tokens living 60 s (shorter than the margin)
    session, _, clock, issued = _session(60.0)
    session.token()
    clock.now += 29
    session.token()
    clock.now += 1
    session.token()
    # THEN renewed at 30 s, not on every call
    assert issued == ["tok-1", "tok-2"]


def test_an_expired_token_is_renewed_once_per_call_then_the_call_fails():
    session, _, _, issued = _session()
    used: list[str] = []

    def send_once_refused(token: str) -> str:
        used.append(token)
        if len(used) == 1:
            raise TokenExpired("errcode 42001: access_token expired")
        return f"ok with {token}"

    # WHEN the first answer says "expired" THEN the call is sent again with a new token
    assert session.call("GET /g", send_once_refused) == "ok with tok-2"
    assert used == ["tok-1", "tok-2"]

    def send_always_refused(token: str) -> str:
        raise TokenExpired(f"errcode 42001: {token} expired")

    # WHEN the new token is refused too THEN a final error names the call, with the token masked
    with pytest.raises(PlatformError) as raised:
        session.call("GET /g", send_always_refused)
    assert (
        str(raised.value)
        == "demo: GET /g: a fresh access token was rejected too (errcode 42001: *** expired)"
    )
    assert issued == ["tok-1", "tok-2", "tok-3"]  # tok-2 was tried first, then one renewal


# --- the pager -----------------------------------------------------------------------------------


def _pages(*pages: dict) -> tuple[list[object], Callable[[object], dict]]:
    asked: list[object] = []

    def fetch(cursor: object) -> dict:
        asked.append(cursor)
        return pages[len(asked) - 1]

    return asked, fetch


def test_pages_are_followed_from_the_first_cursor_to_the_last():
    asked, fetch = _pages({"items": [1], "next": "c2"}, {"items": [2], "next": "c3"}, {"items": [3]})
    got = [p["items"] for p in follow(_http(), "GET /l", fetch, lambda p: p.get("next"), first="0")]
    assert got == [[1], [2], [3]] and asked == ["0", "c2", "c3"]


def test_a_cursor_that_comes_back_or_a_promise_without_one_ends_with_an_error():
    # GIVEN a list whose second page points back at the second page
    _, fetch = _pages({"next": "c2"}, {"next": "c2"})
    with pytest.raises(PlatformError) as raised:
        list(follow(_http(), "GET /l", fetch, lambda p: p.get("next"), loop_retryable=True))
    assert str(raised.value) == "demo: GET /l: the cursor 'c2' came back twice" and raised.value.retryable
    # GIVEN has_more without a cursor
    _, fetch = _pages({"has_more": True})
    with pytest.raises(PlatformError, match="GET /l: more pages promised without a next cursor"):
        list(follow(_http(), "GET /l", fetch, lambda p: p.get("next"), has_more=lambda p: p["has_more"]))


def test_pages_beyond_the_cap_end_with_an_error():
    counter = iter(range(100))
    with pytest.raises(PlatformError, match="GET /l: more than 3 pages"):
        list(
            follow(
                _http(), "GET /l", lambda _: {"next": f"c{next(counter)}"}, lambda p: p["next"], max_pages=3
            )
        )


# --- epoch ---------------------------------------------------------------------------------------


def test_epoch_reads_seconds_and_milliseconds_and_refuses_what_is_not_a_time():
    at = datetime(2025, 12, 2, 9, 30, tzinfo=UTC)
    assert epoch(1764667800) == at
    assert epoch("1764667800") == at
    assert epoch(1764667800123, unit=1e-3) == datetime(2025, 12, 2, 9, 30, 0, 123000, tzinfo=UTC)
    assert epoch(1764667800.9, whole=True) == at
    assert [epoch(v) for v in (0, -5, True, None, "soon", float("nan"), float("inf"))] == [None] * 7
    assert epoch("1764667800", strings=False) is None
