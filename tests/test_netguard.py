"""The address policy for tenant URLs (groupaudit.netguard): what registration accepts, and what
a connection may reach, resolved once, redirects included. Real HTTP on 127.0.0.1."""

from __future__ import annotations

import hashlib
import ipaddress
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from groupaudit import netguard
from groupaudit.adapters.download import DownloadError, sha256_from_url
from groupaudit.connectors.http import Http, PlatformError
from groupaudit.notifiers.channels import DeliveryError, WebhookChannel
from groupaudit.notifiers.robots import WeComRobot
from groupaudit.wire import NoticeChannel, NoticeMessage

# --- registration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://oapi.dingtalk.com/robot/send?access_token=x",
        "https://open.feishu.cn:443/open-apis/bot/v2/hook/abc",
        "https://hooks.slack.com./services/T/B/x",
        "https://8.8.8.8/hook",
        "https://[2606:4700:4700::1111]/hook",
    ],
)
def test_https_to_a_public_host_on_443_is_registrable(url):
    # GIVEN a public https URL (an explicit :443, a trailing dot, a public IP literal)
    # WHEN checked for registration
    # THEN nothing is wrong with it
    assert netguard.registration_problem(url) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://open.feishu.cn/hook", "must be an https URL"),
        ("ftp://open.feishu.cn/hook", "must be an https URL"),
        ("https://bot:s3cr3tpw@open.feishu.cn/hook", "must not carry user:password@"),
        ("https://tok3n-xyz@open.feishu.cn/hook", "must not carry user:password@"),
        ("https://open.feishu.cn:8443/hook", "must use the https port 443"),
        ("https://open.feishu.cn:99999/hook", "not a valid URL"),
        ("https:///hook", "has no host"),
        ("https://localhost/hook", "must name a public host"),
        ("https://LOCALHOST./hook", "must name a public host"),
        ("https://a.b.localhost/hook", "must name a public host"),
        ("https://nas.local/hook", "must name a public host"),
        ("https://metadata.google.internal./x", "must name a public host"),
        ("https://intranet.localdomain/x", "must name a public host"),
        ("https://metadata/x", "must name a public host"),
        ("https://127.0.0.1/x", "must not point at a loopback address"),
        ("https://127.1/x", "must not point at a loopback address"),
        ("https://2130706433/x", "must not point at a loopback address"),
        ("https://0x7f.0.0.1/x", "must not point at a loopback address"),
        ("https://[::1]/x", "must not point at a loopback address"),
        ("https://[::ffff:127.0.0.1]/x", "loopback address"),
        ("https://[::ffff:169.254.169.254]/x", "link-local address"),
        ("https://[64:ff9b::169.254.169.254]/x", "link-local address (as the IPv4 address 169.254.169.254"),
        ("https://[64:ff9b:1::a9fe:a9fe]/x", "link-local address (as the IPv4 address 169.254.169.254"),
        ("https://[2002:a9fe:a9fe::]/x", "link-local address (as the IPv4 address 169.254.169.254"),
        ("https://[2002:7f00:1::]/x", "loopback address (as the IPv4 address 127.0.0.1"),
        ("https://169.254.169.254/latest/meta-data", "must not point at a link-local address"),
        ("https://[fe80::1]/x", "link-local address"),
        ("https://10.1.2.3/x", "must not point at a private address"),
        ("https://192.168.0.1/x", "must not point at a private address"),
        ("https://[fd00::1]/x", "must not point at a private address"),
        ("https://224.0.0.1/x", "must not point at a multicast address"),
        ("https://[ff02::1]/x", "must not point at a multicast address"),
        ("https://0.0.0.0/x", "must not point at the unspecified address"),
        ("https://240.0.0.1/x", "must not point at a private address"),
        ("https://100.64.0.1/x", "must not point at not a public address"),
    ],
)
def test_a_url_that_is_not_public_https_on_443_is_refused_with_why(url, problem):
    # GIVEN a URL a tenant could use to make the functions call their own network (or that
    # would store credentials)
    # WHEN checked for registration
    found = netguard.registration_problem(url)
    # THEN it is refused, and the reason says which rule, never the credentials
    assert found is not None and problem in found
    assert "s3cr3tpw" not in found and "tok3n-xyz" not in found


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/peer", "https://localhost:9443/peer", "http://[::1]:81/x", "http://localhost./x"],
)
def test_the_command_line_also_registers_loopback_peers(url):
    # GIVEN a local peer's URL (http or https, any port, on loopback)
    # WHEN an administrator registers it from the command line
    # THEN it is accepted there, and still refused through the API's rule
    assert netguard.registration_problem(url, local_peers=True) is None
    assert netguard.registration_problem(url) is not None


def test_the_command_line_allowance_is_only_for_loopback():
    # GIVEN http to a private address, and loopback with credentials
    # WHEN registered from the command line
    # THEN both are still refused
    assert netguard.registration_problem("http://10.0.0.1:8080/x", local_peers=True) == "must be an https URL"
    problem = netguard.registration_problem("http://u:p@127.0.0.1/x", local_peers=True)
    assert problem is not None and "user:password@" in problem


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("::ffff:10.0.0.1", "a private address (as the IPv4 address 10.0.0.1"),
        ("::127.0.0.1", "a loopback address (as the IPv4 address 127.0.0.1"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "a private address"),  # Teredo
        ("192.0.2.1", "a private address"),  # documentation
        ("8.8.8.8", None),
        ("2002:808:808::1", None),  # 6to4 of a public address
    ],
)
def test_embedded_ipv4_addresses_are_judged_by_what_they_embed(address, kind):
    # GIVEN an address, possibly an IPv6 form carrying an IPv4 one
    # WHEN judged
    found = netguard.non_public(ipaddress.ip_address(address))
    # THEN the embedded address decides
    assert found == kind if kind is None else found is not None and found.startswith(kind)


# --- connections ------------------------------------------------------------------------------


class _Peer(BaseHTTPRequestHandler):
    """Answers ``answer`` (status, headers, body) and records what it was asked."""

    answer: tuple[int, dict[str, str], bytes] = (200, {}, b'{"ok": true}')
    seen: ClassVar[list[tuple[str, str | None]]]

    def _serve(self) -> None:
        self.seen.append((self.path, self.headers.get("Host")))
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, headers, body = self.answer
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _serve

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def peer(status: int = 200, headers: dict[str, str] | None = None, body: bytes = b'{"ok": true}') -> Iterator:
    class Handler(_Peer):
        answer = (status, headers or {}, body)
        seen: ClassVar[list[tuple[str, str | None]]] = []

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, Handler.seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _resolver(answers: dict[str, list[str]], calls: list[str]):
    def resolve(host: str, port: int) -> list[tuple[int, str]]:
        calls.append(host)
        return [(0, address) for address in answers[host]]

    return resolve


def test_a_name_resolving_to_loopback_is_refused_before_any_connection():
    # GIVEN a peer on loopback, a name that resolves to it (as *.nip.io names do), and the
    # deployed rule (no loopback) over http on any port
    with peer() as (port, seen):
        calls: list[str] = []
        network = netguard.Network(
            "test",
            schemes=("http",),
            ports=None,
            resolver=_resolver({"evil.nip.io": ["127.0.0.1"]}, calls),
        )
        http = Http("demo", f"http://evil.nip.io:{port}", network=network, max_retries=0)
        # WHEN a platform call is made to it
        with pytest.raises(PlatformError) as raised:
            http.request("GET", "/api")
    # THEN it is refused for good, saying why, and the peer was never reached
    assert not raised.value.retryable
    assert str(raised.value) == (
        "demo: GET /api refused: evil.nip.io (127.0.0.1) is a loopback address: the functions do not call it"
    )
    assert seen == [] and calls == ["evil.nip.io"]


def test_one_non_public_address_among_the_answers_refuses_them_all():
    # GIVEN a name that resolves to a public address and to the metadata address
    calls: list[str] = []
    network = netguard.Network(
        "test", resolver=_resolver({"mixed.example": ["93.184.216.34", "169.254.169.254"]}, calls)
    )
    # WHEN a connection is asked for
    # THEN it is refused (the client could have picked either)
    with pytest.raises(netguard.AddressRefused) as raised:
        network.connect(("mixed.example", 443), 1)
    assert str(raised.value) == (
        "mixed.example (169.254.169.254) is a link-local address: the functions do not call it"
    )
    assert calls == ["mixed.example"]


def test_the_checked_address_is_the_one_connected_to_resolved_once():
    # GIVEN a name whose answer changes after the first lookup (DNS rebinding: loopback, an
    # allowed peer here, then the metadata address)
    with peer() as (port, seen):
        answers = iter([["127.0.0.1"], ["169.254.169.254"]])
        calls: list[str] = []

        def rebinding(host: str, port_: int) -> list[tuple[int, str]]:
            calls.append(host)
            return [(0, address) for address in next(answers)]

        network = netguard.Network("test", schemes=("http",), ports=None, loopback=True, resolver=rebinding)
        http = Http("demo", f"http://rebind.example:{port}", network=network)
        # WHEN one call is made
        answer = http.request("GET", "/api")
    # THEN the name was resolved once, the connection went to that address, and the Host
    # header still names the host (TLS would verify its certificate the same way)
    assert answer == {"ok": True}
    assert calls == ["rebind.example"]
    assert seen == [("/api", f"rebind.example:{port}")]


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/iam/", "169.254.169.254 is a link-local address"),
        ("http://10.0.0.5:8080/admin", "10.0.0.5 is a private address"),
        ("http://[::ffff:169.254.169.254]/latest", "is a link-local address (as the IPv4 address"),
        ("ftp://files.example/x", "ftp:// is not called"),
    ],
)
def test_a_platform_redirect_to_a_non_public_address_is_not_followed(location, why):
    # GIVEN a platform endpoint (a loopback peer, allowed here) that redirects to an internal address
    with peer(302, {"Location": location}, b"moved") as (port, seen):
        http = Http("demo", f"http://127.0.0.1:{port}", max_retries=0)
        # WHEN a platform call is made
        with pytest.raises(PlatformError) as raised:
            http.request("GET", "/api")
    # THEN the redirect is refused for good, nothing internal was read back into the error
    assert not raised.value.retryable
    assert why in str(raised.value) and "moved" not in str(raised.value)
    assert seen == [("/api", f"127.0.0.1:{port}")]


def test_a_platform_redirect_to_an_allowed_address_is_followed():
    # GIVEN a platform endpoint that moved to another allowed (loopback) peer
    with (
        peer(200, {}, b'{"moved": "here"}') as (target, target_seen),
        peer(307, {"Location": f"http://127.0.0.1:{target}/v2/api"}) as (port, _),
    ):
        http = Http("demo", f"http://127.0.0.1:{port}")
        # WHEN a platform call is made
        answer = http.request("GET", "/api")
    # THEN the new target was checked and called
    assert answer == {"moved": "here"}
    assert target_seen == [("/v2/api", f"127.0.0.1:{target}")]


def test_the_deployed_network_refuses_a_loopback_platform_and_plain_http():
    # GIVEN the deployed network and a platform peer on loopback
    with peer() as (port, seen):
        # WHEN a platform call is made over http, and one over https to loopback on 443
        plain = Http("demo", f"http://127.0.0.1:{port}", network=netguard.PUBLIC, max_retries=0)
        with pytest.raises(PlatformError, match=r"http:// is not called \(public network: https:// only\)"):
            plain.request("GET", "/api")
        loopback = Http("demo", "https://127.0.0.1", network=netguard.PUBLIC, max_retries=0)
        with pytest.raises(PlatformError, match=r"127\.0\.0\.1 is a loopback address"):
            loopback.request("GET", "/api")
    # THEN neither reached it
    assert seen == []


def _notice() -> NoticeMessage:
    return NoticeMessage(
        tenant_id="acme",
        group_id="grp-x",
        audit_id="a" * 32,
        platform="wecom",
        channel=NoticeChannel(),
        text="【群规审计】测试",
        mention_ids=[],
        findings=[],
        created_at=datetime(2026, 11, 20, tzinfo=UTC),
    )


def test_a_robot_is_never_redirected():
    # GIVEN a robot URL that answers 302 to the metadata address, and a second peer behind it
    with peer() as (internal, internal_seen):
        location = f"http://127.0.0.1:{internal}/latest/meta-data"
        with peer(302, {"Location": location}, b"internal secrets") as (port, seen):
            robot = WeComRobot(f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=k")
            # WHEN a notice is sent
            with pytest.raises(DeliveryError) as raised:
                robot.send(_notice())
    # THEN it is a final refusal, the target was never called and its answer is not echoed
    assert not raised.value.retryable
    assert str(raised.value) == "wecom answered HTTP 302 (a redirect: robots are never redirected)"
    assert len(seen) == 1 and internal_seen == []


def test_a_webhook_is_never_redirected():
    # GIVEN a webhook that answers 307 elsewhere
    with peer() as (other, other_seen), peer(307, {"Location": f"http://127.0.0.1:{other}/x"}) as (port, _):
        channel = WebhookChannel(f"http://127.0.0.1:{port}/hook", b"secret")
        # WHEN a notice is sent
        with pytest.raises(DeliveryError) as raised:
            channel.send(_notice())
    # THEN it is refused for good and the other host was never called
    assert not raised.value.retryable
    assert str(raised.value) == "webhook answered HTTP 307 (a redirect: webhooks are never redirected)"
    assert other_seen == []


def test_the_deployed_network_refuses_a_loopback_robot():
    # GIVEN a robot on loopback (the Lambda runtime API listens there) and the deployed network
    with peer() as (port, seen):
        robot = WeComRobot(f"https://127.0.0.1:{port}/send?key=k", network=netguard.PUBLIC)
        # WHEN a notice is sent
        with pytest.raises(DeliveryError) as raised:
            robot.send(_notice())
    # THEN it is a final refusal naming the rule, and the peer saw nothing
    assert not raised.value.retryable
    assert f"port {port} of 127.0.0.1 is not called" in str(raised.value)
    assert seen == []


def test_a_download_redirected_to_the_metadata_address_is_not_fetched():
    # GIVEN a file URL (a loopback peer, allowed here) that redirects to the instance metadata
    location = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    # WHEN its bytes are hashed
    with peer(302, {"Location": location}) as (port, seen), pytest.raises(DownloadError) as raised:
        sha256_from_url(f"http://127.0.0.1:{port}/files/contract.pdf")
    # THEN nothing is fetched from there, and the file stays "cannot verify backup"
    assert str(raised.value) == (
        "not fetched: 169.254.169.254 is a link-local address: the functions do not call it"
    )
    assert len(seen) == 1


def test_a_download_by_a_name_resolving_to_a_private_address_is_not_fetched():
    # GIVEN a download host whose name resolves to a private address
    network = netguard.Network(
        "test", schemes=("http", "https"), ports=None, resolver=_resolver({"files.evil": ["10.0.0.8"]}, [])
    )
    # WHEN its bytes are hashed
    # THEN it is refused before any connection
    with pytest.raises(DownloadError, match=r"files\.evil \(10\.0\.0\.8\) is a private address"):
        sha256_from_url("https://files.evil/a.pdf", network=network)


def test_a_download_redirected_to_an_allowed_host_hashes_the_final_bytes():
    # GIVEN a file that moved to another allowed peer
    with (
        peer(200, {}, b"contract bytes") as (target, _),
        peer(301, {"Location": f"http://127.0.0.1:{target}/new.pdf"}) as (port, _),
    ):
        # WHEN its bytes are hashed
        digest = sha256_from_url(f"http://127.0.0.1:{port}/old.pdf")
    # THEN the hash is of the bytes at the checked target
    assert digest == hashlib.sha256(b"contract bytes").hexdigest()
