"""The one pool of outbound connections (groupaudit.outbound): connections kept and reused per
network, scheme, host and port, every new one through netguard's check. Real HTTP on 127.0.0.1;
the peers count the TCP connections they accept."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from groupaudit import netguard, outbound
from groupaudit.connectors.base import pull_snapshot
from groupaudit.connectors.http import Http, PlatformError
from groupaudit.loading import load_snapshot
from groupaudit.local.peers.base import Peer, Request, json_answer
from groupaudit.local.peers.feishu import FeishuPeer
from groupaudit.local.peers.robots import RobotPeer
from groupaudit.notifiers.robots import WeComRobot
from groupaudit.wire import NoticeChannel, NoticeMessage
from kit import TENANT


class Echo(Peer):
    """Answers every request with its path and its Authorization header."""

    def route(self, request: Request):
        return json_answer({"path": request.path, "authorization": request.header("Authorization")})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _network(answers: dict[str, list[list[str]]], lookups: list[str], *, loopback: bool) -> netguard.Network:
    """http on any port, DNS answered from ``answers`` (each lookup takes the next list)."""
    pending = {host: iter(lists) for host, lists in answers.items()}

    def resolve(host: str, port: int) -> list[tuple[int, str]]:
        lookups.append(host)
        return [(socket.AF_INET, address) for address in next(pending[host])]

    return netguard.Network("test", schemes=("http",), ports=None, loopback=loopback, resolver=resolve)


def _port(peer: Peer) -> int:
    return int(peer.url.rsplit(":", 1)[1])


def _notice(text: str) -> NoticeMessage:
    return NoticeMessage(
        tenant_id="acme",
        group_id="grp-x",
        audit_id="a" * 32,
        platform="wecom",
        channel=NoticeChannel(),
        text=text,
        mention_ids=[],
        findings=[],
        created_at=datetime(2026, 11, 20, tzinfo=UTC),
    )


# --- reuse ------------------------------------------------------------------------------------


def test_two_platform_calls_share_one_tcp_connection():
    # GIVEN a platform peer that keeps connections alive, and a pool
    pool = outbound.Pool()
    with Echo() as peer:
        http = Http("demo", peer.url, pool=pool)
        # WHEN two calls are made
        first = http.request("GET", "/one")
        second = http.request("GET", "/two")
        connections = peer.connections
    # THEN both are answered over one TCP connection, opened once and reused once
    assert (first["path"], second["path"]) == ("/one", "/two")
    assert connections == 1
    assert (pool.opened, pool.reused) == (1, 1)


def test_pulls_of_a_warm_function_share_the_process_pool():
    # GIVEN two pulls' Http clients, made apart as two invocations of a warm function make them
    with Echo() as peer:
        # WHEN each calls the platform
        Http("demo", peer.url).request("GET", "/first-invocation")
        Http("demo", peer.url).request("GET", "/second-invocation")
        connections = peer.connections
    # THEN the second reuses the first one's connection
    assert connections == 1


def test_a_pull_of_the_sample_group_opens_one_connection():
    # GIVEN the sample R&D group held by the Feishu peer (its files downloaded from it too)
    original = load_snapshot(TENANT / "snapshots" / "rd.json")
    pool = outbound.Pool()
    with FeishuPeer.from_snapshot(original, chat_id="oc_rd") as peer:
        request_ = _feishu_request(peer, original)
        # WHEN it is pulled
        pulled = pull_snapshot(request_, Http("feishu", peer.url, secrets=[peer.app_secret], pool=pool))
        requests, connections = len(peer.received), peer.connections
    # THEN every request (token, chat, members, message pages, files) went over one connection
    assert len(pulled.messages or ()) > len(original.messages or ())
    assert requests == 10
    assert connections == 1 and (pool.opened, pool.reused) == (1, 9)


def _feishu_request(peer: FeishuPeer, original):
    from groupaudit.connectors.base import PullRequest

    return PullRequest(
        platform="feishu",
        tenant_id="acme",
        group_id="grp-rd",
        chat_id=peer.chat_id,
        taken_at=original.taken_at,
        since=original.group.created_at,
        credentials={"app_id": peer.app_id, "app_secret": peer.app_secret},
        base_url=peer.url,
        kind="department",
    )


def test_a_digest_of_several_parts_goes_out_on_one_connection():
    # GIVEN a WeCom robot and a digest longer than one WeCom message (4,096 bytes)
    text = "\n".join(f"第{i}条：张三 30 天未发言" for i in range(400))
    with RobotPeer(wecom={"k-1"}) as peer:
        robot = WeComRobot(peer.wecom_url("k-1"))
        # WHEN it is sent
        result = robot.send(_notice(text))
        connections = peer.connections
    # THEN its parts were posted in order over one connection
    assert result == f"wecom: {len(peer.delivered)} messages delivered"
    assert len(peer.delivered) >= 3
    assert connections == 1


# --- the guard on pooled paths ----------------------------------------------------------------


def test_a_kept_connection_never_serves_a_stricter_network():
    # GIVEN a connection kept for a network that allows loopback, to a name resolving to it
    lookups: list[str] = []
    pool = outbound.Pool()
    with Echo() as peer:
        answers = {"api.example": [["127.0.0.1"], ["127.0.0.1"]]}
        loose = _network(answers, lookups, loopback=True)
        strict = netguard.Network("strict", schemes=("http",), ports=None, resolver=loose.resolver)
        url = f"http://api.example:{_port(peer)}/x"
        pool.request("GET", url, network=loose, timeout=5)
        # WHEN the same host and port are called through a network that refuses loopback
        with pytest.raises(netguard.AddressRefused) as raised:
            pool.request("GET", url, network=strict, timeout=5)
        seen = len(peer.received)
    # THEN the kept connection is not used: a new one is checked, and refused
    assert str(raised.value) == (
        "api.example (127.0.0.1) is a loopback address: the functions do not call it"
    )
    assert seen == 1 and lookups == ["api.example", "api.example"]
    assert (pool.opened, pool.reused) == (1, 0)


def test_a_kept_connection_stays_on_its_checked_address_and_a_new_one_is_checked_again():
    # GIVEN a name that resolves to an allowed peer, then to the metadata address (DNS rebinding)
    lookups: list[str] = []
    clock = Clock()
    pool = outbound.Pool(clock=clock)
    with Echo() as peer:
        network = _network({"rebind.example": [["127.0.0.1"], ["169.254.169.254"]]}, lookups, loopback=True)
        url = f"http://rebind.example:{_port(peer)}/api"
        # WHEN it is called twice at once, then again after the kept connection expired
        first = pool.request("GET", url, network=network, timeout=5)
        second = pool.request("GET", url, network=network, timeout=5)
        clock.now += outbound.IDLE_S
        with pytest.raises(netguard.AddressRefused) as raised:
            pool.request("GET", url, network=network, timeout=5)
        seen = len(peer.received)
    # THEN the second call went over the first one's connection without a lookup, and the
    # connection opened after it was resolved again and refused
    assert (first.status, second.status) == (200, 200)
    assert lookups == ["rebind.example", "rebind.example"]
    assert str(raised.value) == (
        "rebind.example (169.254.169.254) is a link-local address: the functions do not call it"
    )
    assert seen == 2 and (pool.opened, pool.reused) == (1, 1)


def test_a_redirect_keeps_the_credentials_on_the_same_origin_only():
    # GIVEN a platform that moves a path within itself, and a POST it answers with 307
    class Moving(Echo):
        def route(self, request: Request):
            if request.path == "/old":
                return 302, {"Location": "/new"}, b""
            if request.path == "/form":
                return 307, {"Location": "/elsewhere"}, b""
            return super().route(request)

    with Moving() as peer:
        http = Http("demo", peer.url, pool=outbound.Pool(), max_retries=0)
        # WHEN it is called with a token
        moved = http.request("GET", "/old", headers={"Authorization": "Bearer t-1"})
        with pytest.raises(PlatformError, match="HTTP 307"):
            http.request("POST", "/form", body={"a": 1})
        paths = [r.path for r in peer.received]
    # THEN the same origin got the token; the POST was not sent on to the 307's target
    assert moved == {"path": "/new", "authorization": "Bearer t-1"}
    assert paths == ["/old", "/new", "/form"]


def test_an_answer_larger_than_the_limit_is_refused_and_its_connection_dropped():
    # GIVEN a peer answering 2 KiB, and a limit of 1 KiB
    class Big(Peer):
        def route(self, request: Request):
            return 200, {}, b"x" * 2048

    pool = outbound.Pool()
    # WHEN it is called
    with Big() as peer, pytest.raises(outbound.BodyTooLarge) as raised:
        pool.request("GET", f"{peer.url}/big", network=netguard.LOCAL_PEERS, timeout=5, max_body=1024)
    # THEN it is refused naming the limit, and the connection is not kept
    assert str(raised.value) == "an answer (HTTP 200) larger than 1024 bytes"
    assert raised.value.status == 200 and pool.idle() == 0


# --- connections the peer closed ---------------------------------------------------------------


@contextmanager
def closing_peer(half: bool = False) -> Iterator[tuple[int, list[bytes], list[int]]]:
    """Answers one request per connection as if keeping it alive, then closes it (its keep-alive
    ran out); ``half``: closes only its side and drops, unanswered, what comes in after. Yields
    its port, the request lines it answered and a one-item count of connections."""
    listener = socket.create_server(("127.0.0.1", 0))
    lines: list[bytes] = []
    accepted = [0]
    open_: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted[0] += 1
            open_.append(connection)
            with connection:
                received = b""
                while b"\r\n\r\n" not in received:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    received += chunk
                head, _, rest = received.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(h.split(b":")[1])
                        for h in head.split(b"\r\n")
                        if h.lower().startswith(b"content-length")
                    ),
                    0,
                )
                while len(rest) < length:
                    rest += connection.recv(65536)
                lines.append(head.split(b"\r\n")[0])
                body = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                if half:
                    connection.shutdown(socket.SHUT_WR)
                    while connection.recv(65536):
                        pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], lines, accepted
    finally:
        for socket_ in [listener, *open_]:  # wakes the accept, and the read of a kept connection
            with contextlib.suppress(OSError):
                socket_.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=5)


def test_a_kept_connection_the_peer_closed_is_not_reused():
    # GIVEN a robot host that closes each connection after answering
    pool = outbound.Pool()
    with closing_peer() as (port, lines, accepted):
        url = f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=k"
        # WHEN two posts are made
        replies = [
            pool.request("POST", url, network=netguard.LOCAL_PEERS, timeout=5, body=b"{}") for _ in range(2)
        ]
    # THEN each was answered, on a connection of its own, and posted once
    assert [r.status for r in replies] == [200, 200]
    assert len(lines) == 2 and accepted[0] == 2 and pool.opened == 2


@pytest.mark.parametrize("half", [False, True], ids=["closed", "half-closed"])
def test_a_post_on_a_connection_closed_as_it_left_is_sent_once_on_a_new_one(monkeypatch, half):
    # GIVEN a robot host that closes each connection after answering (all of it: the next
    # request is refused as it is written; or its side only: the next one gets no answer), and
    # a pool that cannot see it closed before reusing it (the close crossed the request)
    monkeypatch.setattr(outbound, "_open_and_quiet", lambda connection: connection.sock is not None)
    with closing_peer(half) as (port, lines, accepted):
        robot = WeComRobot(f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=k")
        # WHEN two notices are sent
        results = [robot.send(_notice("第一条")), robot.send(_notice("第二条"))]
    # THEN both were delivered, each posted once; the second went out again on a new connection
    assert results == ["wecom: 1 message delivered", "wecom: 1 message delivered"]
    assert lines == [b"POST /cgi-bin/webhook/send?key=k HTTP/1.1"] * 2
    assert accepted[0] == 2
