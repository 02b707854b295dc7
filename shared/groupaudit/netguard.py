"""Which network addresses a tenant may point the functions at, and connections that keep to them.

One module holds the address policy (docs/API.md "Tenant URLs", docs/PIPELINE.md), used twice:

- at **registration** (``POST /groups``, ``groupaudit groups add``): :func:`registration_problem`
  accepts only ``https://host[:443]/...`` without ``user:password@``, whose host is neither an IP
  literal outside the public unicast space (private, loopback, link-local, multicast, reserved,
  unspecified, shared, documentation; IPv4-mapped, IPv4-compatible, NAT64 ``64:ff9b::/96`` and
  ``64:ff9b:1::/48``, 6to4 ``2002::/16`` and Teredo embeddings of such addresses included) nor
  an obviously local name (``localhost``, ``*.localhost``, ``*.local``, ``*.internal``,
  ``*.localdomain``, a single label such as ``metadata``), with or without a trailing dot;
- at **connect time**, for every outbound call to a tenant-supplied URL (platform APIs, robots,
  webhooks, downloads), made through the one connection pool of :mod:`groupaudit.outbound`:
  :func:`check_url` refuses a URL's scheme, port or userinfo before any lookup, and every new
  connection goes through :meth:`Network.connect`, which resolves the host once, refuses the
  connection when ANY resolved address is not allowed, and connects to the address it checked
  (no second lookup, so DNS rebinding cannot swap it); TLS still verifies the certificate for
  the host name. No proxy is used. A redirect's target goes through the same checks, or is not
  followed at all (robots and webhooks).

What is allowed is a :class:`Network`. :data:`PUBLIC` (https on port 443 to public addresses) is
what the deployed functions use: ``groupaudit.pipeline.runtime`` passes it to everything it
builds. :data:`LOCAL_PEERS` also allows loopback over http or https on any port, for the loopback
peers of local runs and tests; it is the default of the library classes used directly (the
command line, tests, benchmarks) and what the local stack switches ``runtime`` to
(``runtime.local_peers_allowed()``). No environment variable selects it, so no deployed
configuration can leave it on.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from groupaudit.errors import GroupAuditError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[tuple[int, str]]]  # (host, port) -> [(family, address)]

LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")
LOCAL_NAMES = ("localhost",)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_LEGACY_IPV4 = re.compile(r"^[0-9a-fx.]+$")  # 127.1, 0x7f.0.0.1, 2130706433, 0177.0.0.1


class AddressRefused(GroupAuditError):
    """A URL or the address it resolves to is not one the functions may call. The message
    names the host and why, never credentials, the path or the query."""


@dataclass(frozen=True)
class Network:
    """What outbound calls may reach: schemes, ports (None: any) and whether loopback counts
    as allowed besides the public unicast space. ``resolver`` replaces DNS (tests)."""

    name: str
    schemes: tuple[str, ...] = ("https",)
    ports: tuple[int, ...] | None = (443,)
    loopback: bool = False
    resolver: Resolver | None = None

    def address_problem(self, address: IPAddress) -> str | None:
        """Why the functions may not connect to ``address``, or None."""
        if self.loopback and address.is_loopback:
            return None
        return non_public(address)

    def check_target(self, scheme: str, host: str | None, port: int | None) -> None:
        """The scheme, host and port of a URL about to be opened (a redirect's target included)."""
        if scheme not in self.schemes:
            allowed = ", ".join(f"{s}://" for s in self.schemes)
            raise AddressRefused(f"{scheme}:// is not called ({self.name} network: {allowed} only)")
        if not host:
            raise AddressRefused("the URL has no host")
        self.check_port(host, port)

    def check_port(self, host: str, port: int | None) -> None:
        if self.ports is not None and port not in self.ports:
            allowed = ", ".join(map(str, self.ports))
            raise AddressRefused(f"port {port} of {host} is not called ({self.name} network: port {allowed})")

    def resolve(self, host: str, port: int) -> list[tuple[int, str]]:
        """Every address ``host`` resolves to, each checked: one that is not allowed refuses them all."""
        host = host.strip("[]")
        # a failed lookup stays an OSError: the caller's "unreachable" (retried where that helps)
        found = self.resolver(host, port) if self.resolver else _getaddrinfo(host, port)
        if not found:
            raise OSError(f"{host} resolves to no address")
        for _, text in found:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            problem = self.address_problem(address)
            if problem is not None:
                shown = "" if text == host else f" ({text})"
                raise AddressRefused(f"{host}{shown} is {problem}: the functions do not call it")
        return found

    def connect(
        self,
        address: tuple[str, int],
        timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
        source: Any = None,
    ) -> socket.socket:
        """``socket.create_connection`` to an address checked here, never to a second lookup's."""
        host, port = address
        self.check_port(host, port)
        last: OSError | None = None
        for _, text in self.resolve(host, port):
            try:
                return socket.create_connection((text, port), timeout, source)
            except OSError as exc:
                last = exc
        assert last is not None
        raise last


PUBLIC = Network("public")
LOCAL_PEERS = Network("local peers", schemes=("http", "https"), ports=None, loopback=True)


def non_public(address: IPAddress) -> str | None:
    """What kind of non-public address ``address`` is (an embedded IPv4 address counts), or None."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = non_public(embedded)
            if inner is not None:
                return f"{inner} (as the IPv4 address {embedded} inside {address})"
    for kind, flag in (
        ("a loopback address", address.is_loopback),
        ("a link-local address", address.is_link_local),
        ("a multicast address", address.is_multicast),
        ("the unspecified address", address.is_unspecified),
        ("a private address", address.is_private),
        ("a reserved address", address.is_reserved),
    ):
        if flag:
            return kind
    return None if address.is_global else "not a public address"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _NAT64) or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def ip_literal(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is one, in any form a resolver would accept."""
    host = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host.lower()):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def local_name(host: str) -> bool:
    """A name that is obviously not a public internet host."""
    name = host.lower().rstrip(".")
    return name in LOCAL_NAMES or name.endswith(LOCAL_SUFFIXES) or "." not in name


def registration_problem(url: str, *, local_peers: bool = False) -> str | None:
    """Why ``url`` may not be registered as a robot, webhook or platform endpoint, or None.

    ``local_peers`` (the command line only) also accepts http or https on any port to a
    loopback host (an IP literal, or ``localhost``), for local peers."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a valid URL (its port or host cannot be read)"
    host = (parts.hostname or "").lower()
    if "@" in parts.netloc:
        return "must not carry user:password@ (credentials go in a secret, by secret_name)"
    if not host:
        return "has no host"
    literal = ip_literal(host)
    loopback = (literal is not None and literal.is_loopback) or host.rstrip(".") in LOCAL_NAMES
    if local_peers and loopback and parts.scheme in LOCAL_PEERS.schemes:
        return None
    if parts.scheme != "https":
        return "must be an https URL"
    if port not in (None, 443):
        return "must use the https port 443"
    if literal is not None:
        problem = non_public(literal)
        return None if problem is None else f"must not point at {problem}"
    try:
        host.rstrip(".").encode("idna")
    except UnicodeError:
        return "has a host name that is not valid"
    if local_name(host):
        return "must name a public host (not localhost, *.local, *.internal or a single-label name)"
    return None


# --- connections ------------------------------------------------------------------------------


def _getaddrinfo(host: str, port: int) -> list[tuple[int, str]]:
    return [
        (int(family), str(sockaddr[0]))
        for family, _, _, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    ]


def check_url(url: str, network: Network) -> None:
    """The parts of ``url`` that can be refused before any lookup: scheme, host, port, userinfo."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AddressRefused("not a valid URL (its port or host cannot be read)") from None
    if "@" in parts.netloc:
        raise AddressRefused("a URL with user:password@ is not called")
    scheme = parts.scheme.lower()
    network.check_target(scheme, parts.hostname, port or {"http": 80, "https": 443}.get(scheme))
