"""What every platform source shares: the HTTP layer (against a loopback peer), id maps and
dropped records."""

from __future__ import annotations

import gzip
import json
import socket
import threading

import pytest

from groupaudit.connectors.base import FolderDrops, IdMap, PullRequest, parse_records
from groupaudit.connectors.http import Http, PlatformError, RetryLater
from groupaudit.errors import InputError
from groupaudit.local.peers.base import Peer, Request, json_answer


class Echo(Peer):
    def route(self, request: Request):
        return json_answer({"ok": True, "path": request.path, "query": request.query, "body": request.json()})


@pytest.fixture
def peer():
    with Echo() as running:
        yield running


def _http(peer: Echo, waits: list[float], **kwargs) -> Http:
    return Http("demo", peer.url, secrets=["s3cr3t-token"], sleep=waits.append, **kwargs)


def test_a_429_is_waited_out_for_its_retry_after_then_the_answer_is_returned(peer):
    # GIVEN a platform that rate limits twice, then answers
    peer.script("/list", json_answer({}, 429, {"Retry-After": "2"}), json_answer({}, 503))
    waits: list[float] = []
    # WHEN we call it
    answer = _http(peer, waits).request("GET", "/list", query={"cursor": "c2", "absent": None})
    # THEN we waited as told (2 s), backed off after the 503, and got the third answer
    assert answer["query"] == {"cursor": ["c2"]}
    assert waits[0] == 2.0 and 1.0 <= waits[1] <= 1.25  # second attempt: 1 s plus jitter
    assert len(peer.requests("/list")) == 3


def test_a_persistent_rate_limit_gives_up_retryable_without_sleeping_past_the_cap(peer):
    # GIVEN a platform asking us to come back in ten minutes
    peer.script("/list", json_answer({}, 429, {"Retry-After": "600"}))
    waits: list[float] = []
    # WHEN we call it
    with pytest.raises(PlatformError) as raised:
        _http(peer, waits, max_wait_s=30).request("GET", "/list")
    # THEN we did not wait 600 s inside the function: the pull is retryable later
    assert waits == []
    assert raised.value.retryable is True and raised.value.retry_after_s == 600.0
    assert str(raised.value) == "demo: GET /list: HTTP 429 (rate limited); gave up after 1 attempt(s)"


def test_a_judge_turns_the_platforms_own_codes_into_retries_and_refusals(peer):
    # GIVEN a platform answering HTTP 200 with its own codes: first "too fast", then a refusal
    # that echoes the token (as some do), and a judge that knows them
    peer.script(
        "/members",
        json_answer({"code": 99991400, "msg": "too many requests"}),
        json_answer({"code": 99991663, "msg": "invalid token s3cr3t-token"}),
    )
    waits: list[float] = []
    http = _http(peer, waits)

    def judge(answer):
        body = answer.json()
        if body["code"] == 99991400:
            raise RetryLater("code 99991400: too many requests", retry_after_s=1)
        raise http.fail(f"code {body['code']}: {body['msg']}")

    # WHEN we call it with the token in the query string
    with pytest.raises(PlatformError) as raised:
        http.request("GET", "/members", query={"access_token": "s3cr3t-token"}, judge=judge)
    # THEN the rate limit was retried after 1 s, the refusal is final, and the token is hidden
    assert waits == [1]
    assert raised.value.retryable is False
    assert str(raised.value) == "demo: code 99991663: invalid token ***"


def test_an_unreachable_platform_is_retryable_and_names_no_query_string():
    # GIVEN a port nobody listens on
    with Echo() as gone:
        url = gone.url
    waits: list[float] = []
    http = Http("demo", url, secrets=["s3cr3t-token"], sleep=waits.append, max_retries=2)
    # WHEN we call it with a token in the query
    with pytest.raises(PlatformError) as raised:
        http.request("GET", "/gettoken", query={"secret": "s3cr3t-token"})
    # THEN we tried three times, and the error names the path only
    assert raised.value.retryable is True and len(waits) == 2
    assert str(raised.value).startswith("demo: GET /gettoken unreachable:")
    assert "s3cr3t" not in str(raised.value)


def test_a_garbled_answer_is_retried_like_an_unreachable_host():
    # GIVEN a platform whose first answer is not HTTP (a broken gateway), the next one fine
    listener = socket.create_server(("127.0.0.1", 0))
    answers = [b"HTTP/1.1 2OO OK\r\n\r\n", b'HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n{"ok": true}']

    def serve() -> None:
        for answer in answers:
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    waits: list[float] = []
    http = Http("demo", f"http://127.0.0.1:{listener.getsockname()[1]}", sleep=waits.append, max_retries=0)
    # WHEN we call it, once without retries and once with one
    with pytest.raises(PlatformError) as raised:
        http.request("GET", "/list")
    http.max_retries = 1
    answer = http.request("GET", "/list")
    thread.join(timeout=5)
    listener.close()
    # THEN the garbled answer is a retryable failure that says so, and a retry gets the answer
    assert raised.value.retryable is True
    assert str(raised.value) == (
        "demo: GET /list: no valid HTTP answer (BadStatusLine); gave up after 1 attempt(s)"
    )
    assert answer == {"ok": True}


def test_an_id_map_maps_both_ways_and_keeps_unmapped_ids():
    ids = IdMap.from_document({"slack": {"U01": "E001"}, "feishu": {"ou_1": "E002"}}, "slack", "idmap.json")
    assert ids.directory_id("U01") == "E001" and ids.directory_id("U99") == "U99"
    assert ids.platform_id("E001") == "U01" and ids.platform_id("E002") == "E002"
    assert not IdMap.from_document(None, "slack", "idmap.json")


def test_an_id_map_refuses_two_platform_ids_for_one_person():
    with pytest.raises(InputError) as raised:
        IdMap.from_document({"wecom": {"zhangsan": "E001", "zs2": "E001"}}, "wecom", "idmap.json")
    assert str(raised.value.problems[0]) == "wecom.zs2: directory id E001 is already mapped from zhangsan"


def test_dropped_records_are_read_as_json_lines_arrays_objects_and_gzip(tmp_path):
    # GIVEN three drop files in three shapes
    (tmp_path / "a.jsonl").write_text('{"msgid": "1"}\n\n{"msgid": "2"}\n')
    (tmp_path / "b.json").write_text(json.dumps({"records": [{"msgid": "3"}]}))
    (tmp_path / "c.json.gz").write_bytes(gzip.compress(json.dumps([{"msgid": "4"}]).encode()))
    # WHEN they are read
    records = list(FolderDrops(tmp_path).records())
    # THEN every record comes with where it was found, in file order
    assert [r["msgid"] for _, r in records] == ["1", "2", "3", "4"]
    assert records[1][0] == f"{tmp_path / 'a.jsonl'}:3"


def test_a_bad_dropped_line_names_the_file_and_the_line():
    with pytest.raises(InputError) as raised:
        list(parse_records(b'{"msgid": "1"}\n{"msgid": \n', "s3://drops/x.jsonl"))
    assert raised.value.source == "s3://drops/x.jsonl"
    assert str(raised.value.problems[0]).startswith("line 2: invalid JSON")


def test_missing_credentials_are_named_without_their_values():
    from datetime import UTC, datetime

    request = PullRequest(
        platform="feishu",
        tenant_id="acme",
        group_id="grp-rd",
        chat_id="oc_1",
        taken_at=datetime(2026, 11, 20, tzinfo=UTC),
        since=datetime(2026, 10, 20, tzinfo=UTC),
        credentials={"app_id": "cli_1"},
    )
    with pytest.raises(PlatformError) as raised:
        request.credential("app_secret")
    assert str(raised.value) == (
        "feishu: the credentials have no 'app_secret' (expected a JSON object with app_id, app_secret)"
    )
    assert "cli_1" not in repr(request)


def test_a_redirect_to_another_host_never_carries_the_token():
    # GIVEN a platform that redirects a download to another host (a second peer)
    class Elsewhere(Peer):
        def route(self, request: Request):
            return json_answer(
                {
                    "authorization": request.header("Authorization"),
                    "x": request.header("x-acs-dingtalk-access-token"),
                }
            )

    class Redirecting(Peer):
        def route(self, request: Request):
            return 302, {"Location": f"{target.url}/landing"}, b""

    with Elsewhere() as target, Redirecting() as origin:
        http = Http("demo", origin.url.replace("127.0.0.1", "localhost"), sleep=lambda _: None)
        # WHEN we call it with our credentials in headers
        answer = http.request(
            "GET", "/file", headers={"Authorization": "Bearer xoxb-1", "x-acs-dingtalk-access-token": "tok"}
        )
    # THEN the other host got neither
    assert answer == {"authorization": None, "x": None}


def test_a_pull_never_waits_past_the_invocations_deadline(peer):
    # GIVEN a platform asking for 10 s, and 5 s left in the invocation
    import time

    peer.script("/list", json_answer({}, 429, {"Retry-After": "10"}))
    waits: list[float] = []
    http = _http(peer, waits, deadline=time.monotonic() + 5)
    # WHEN we call it
    with pytest.raises(PlatformError) as raised:
        http.request("GET", "/list")
    # THEN it ends now, retryable, without waiting
    assert waits == [] and raised.value.retryable is True
    assert str(raised.value) == "demo: GET /list: out of time in this invocation; the pull will be retried"
    # AND once the time is gone no call starts at all
    gone = _http(peer, waits, deadline=time.monotonic() - 1)
    calls = len(peer.received)
    with pytest.raises(PlatformError):
        gone.request("GET", "/list")
    assert len(peer.received) == calls
