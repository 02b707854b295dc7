"""Outbound HTTP of the functions: one pool of kept-alive connections, each opened through netguard.

Every call to a tenant-supplied URL (platform pulls, robots, webhooks, downloads) goes through
:func:`request` on the process's one :class:`Pool`. A warm Lambda keeps its connections between
calls and invocations, so a pull's second page, a digest's second part or the next notice to
the same robot host reuses the connection (and its TLS session) the first one opened.

What :mod:`groupaudit.netguard` guarantees holds for every request, pooled or not:

- the URL's scheme, host, port and userinfo are checked before anything else
  (``netguard.check_url``); a redirect's target is checked the same way before it is followed;
- a **new** connection resolves the host once, refuses it when ANY address is not allowed by the
  ``network``, and connects to the address it checked (``Network.connect``: no second lookup);
  TLS sends the host name (SNI) and verifies the certificate against it; no proxy is used;
- a connection is kept for, and reused by, requests with the same ``network``, scheme, host
  and port only (:attr:`Pool.opened` and :attr:`Pool.reused` count them), so a connection
  checked against a looser network never serves a stricter one; the address it is pinned to
  is the one checked when it was opened;
- an answer's body is read up to ``max_body`` bytes (:class:`BodyTooLarge` beyond), every
  socket operation has the caller's timeout;
- redirects are followed only when asked (platform pulls and downloads; robots and webhooks
  get the 3xx answer as it is), at most :data:`MAX_REDIRECTS`, and never carry the
  ``Authorization``, ``Cookie`` or a ``*token*`` header to another scheme, host or port.

A kept connection is reused only if it is idle for less than :data:`IDLE_S` (a NAT gateway
forgets an idle TCP connection after 350 s without telling either end) and the peer has not
closed it (checked without blocking before each reuse). When a reused connection still turns out
closed by the peer before any byte of the answer arrived (the peer's keep-alive ran out as the
request left), the request is sent once more on a new connection, as browsers do: a peer that
closes an idle connection has not read what came in on it. Any other failure after the request
left (a timeout, a partial answer) is the caller's to judge, exactly as without the pool.

Failures: :class:`netguard.AddressRefused` (refused, never retried), :class:`NotSent` (an
``OSError``: the connection could not be opened or the request not written, nothing reached the
peer), and ``TimeoutError`` / ``OSError`` / ``http.client.HTTPException`` raised while waiting
for or reading the answer (the request may have been taken).
"""

from __future__ import annotations

import http.client
import select
import string
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from groupaudit import netguard
from groupaudit.errors import GroupAuditError

if TYPE_CHECKING:
    import ssl

MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_REDIRECTS = 10
IDLE_S = 30.0
MAX_IDLE_PER_ORIGIN = 4  # idle connections kept per (network, scheme, host, port)
MAX_IDLE = 32  # idle connections kept in all
USER_AGENT = "groupaudit"  # unless the caller sends its own
REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 1 << 20
_DEFAULT_PORTS = {"http": 80, "https": 443}
# a reused connection the peer closed before answering: the request is sent once more
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class NotSent(OSError):
    """The request never reached the peer: the connection could not be opened or the request
    could not be written on it. ``reason`` is the underlying error."""

    def __init__(self, reason: BaseException) -> None:
        super().__init__(str(reason))
        self.reason = reason


class BodyTooLarge(GroupAuditError):
    """The answer's body is larger than the caller accepts; ``status`` and ``headers`` are the
    answer's, the body is not kept and the connection is closed."""

    def __init__(self, status: int, headers: Mapping[str, str], limit: int) -> None:
        super().__init__(f"an answer (HTTP {status}) larger than {limit} bytes")
        self.status = status
        self.headers = dict(headers)
        self.limit = limit


@dataclass(frozen=True)
class Reply:
    """One HTTP answer, its body read in full (empty when the caller took it by ``on_chunk``)."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    url: str  # the URL that gave this answer (the last redirect's target)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


Origin = tuple[netguard.Network, str, str, int]  # network, scheme, host, port


@dataclass
class _Kept:
    connection: http.client.HTTPConnection
    address: str  # the checked address it is connected to
    idle_since: float


class Pool:
    """Kept-alive connections by (network, scheme, host, port), safe to share between threads
    (a connection serves one request at a time)."""

    def __init__(
        self,
        *,
        idle_s: float = IDLE_S,
        max_idle_per_origin: int = MAX_IDLE_PER_ORIGIN,
        max_idle: int = MAX_IDLE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_s = idle_s
        self.max_idle_per_origin = max_idle_per_origin
        self.max_idle = max_idle
        self.clock = clock
        self.opened = 0  # connections opened (each through the network's address check)
        self.reused = 0  # requests sent on a kept connection
        self._idle: dict[Origin, list[_Kept]] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None

    def request(
        self,
        method: str,
        url: str,
        *,
        network: netguard.Network,
        timeout: float,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        redirects: bool = False,
        max_body: int = MAX_BODY_BYTES,
        on_chunk: Callable[[bytes], None] | None = None,
    ) -> Reply:
        """Sends one request (and, with ``redirects``, follows the answer's redirects); any
        HTTP status comes back as a :class:`Reply`. ``on_chunk`` takes the body piece by piece
        instead of keeping it (downloads)."""
        sent = dict(headers or {})
        if not any(k.lower() == "user-agent" for k in sent):
            sent["User-Agent"] = USER_AGENT
        for hop in range(MAX_REDIRECTS + 1):
            follows = partial(_follows, method) if redirects and hop < MAX_REDIRECTS else _stays
            reply = self._exchange(method, url, network, timeout, body, sent, max_body, on_chunk, follows)
            location = reply.header("Location")
            if location is None or not follows(reply.status, location):
                return reply
            if _next_method(method, reply.status) != method:
                method, body = "GET", None
                sent = {k: v for k, v in sent.items() if k.lower() not in ("content-type", "content-length")}
            target = _absolute(url, location)
            if urlsplit(target)[:2] != urlsplit(url)[:2]:
                sent = {k: v for k, v in sent.items() if not _credential(k)}
            url = target
        raise AssertionError("unreachable: the last hop never follows")

    def clear(self) -> None:
        """Closes every kept connection."""
        with self._lock:
            kept = [k for idle in self._idle.values() for k in idle]
            self._idle.clear()
        for k in kept:
            k.connection.close()

    def idle(self) -> int:
        with self._lock:
            return sum(len(idle) for idle in self._idle.values())

    # --- one exchange ---------------------------------------------------------------------------

    def _exchange(
        self,
        method: str,
        url: str,
        network: netguard.Network,
        timeout: float,
        body: bytes | None,
        headers: Mapping[str, str],
        max_body: int,
        on_chunk: Callable[[bytes], None] | None,
        follows: Callable[[int, str | None], bool],
    ) -> Reply:
        netguard.check_url(url, network)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise netguard.AddressRefused(f"{scheme}:// is not called (http and https only)")
        host = parts.hostname or ""
        origin: Origin = (network, scheme, host, parts.port or _DEFAULT_PORTS[scheme])
        selector = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        kept = self._take(origin, timeout)
        while True:
            reused = kept is not None
            if kept is None:
                kept = self._open(origin, timeout)
            else:
                with self._lock:
                    self.reused += 1
            connection = kept.connection
            try:
                connection.request(method, selector, body, dict(headers))
            except OSError as exc:
                connection.close()
                if reused:
                    kept = None
                    continue
                raise NotSent(exc) from exc
            try:
                response = connection.getresponse()
            except _STALE:
                connection.close()
                if reused:
                    kept = None
                    continue
                raise
            except BaseException:
                connection.close()
                raise
            break
        if follows(response.status, response.getheader("Location")):
            on_chunk = None  # a redirect's own body is read and dropped, never the file's
        try:
            answer = _read(response, max_body, on_chunk)
        except BaseException:
            connection.close()
            raise
        if connection.sock is not None and not response.will_close:
            self._keep(origin, kept)
        return Reply(response.status, response.reason, dict(response.headers.items()), answer, url)

    def _open(self, origin: Origin, timeout: float) -> _Kept:
        network, scheme, host, port = origin
        connection: http.client.HTTPConnection
        if scheme == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._context())
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        checked: list[str] = []

        def connect(address: tuple[str, int], *args: Any) -> Any:
            sock = network.connect(address, *args)
            checked.append(str(sock.getpeername()[0]))
            return sock

        connection._create_connection = connect  # type: ignore[attr-defined]
        try:
            connection.connect()  # the TLS handshake too: SNI and the certificate name the host
        except netguard.AddressRefused:
            connection.close()
            raise
        except OSError as exc:
            connection.close()
            raise NotSent(exc) from exc
        with self._lock:
            self.opened += 1
        return _Kept(connection, checked[-1], self.clock())

    def _context(self) -> ssl.SSLContext:
        if self._tls is None:
            import ssl

            self._tls = ssl.create_default_context()  # verifies the chain and the host name
        return self._tls

    # --- keeping ----------------------------------------------------------------------------------

    def _take(self, origin: Origin, timeout: float) -> _Kept | None:
        now = self.clock()
        closed: list[_Kept] = []
        found: _Kept | None = None
        with self._lock:
            idle = self._idle.get(origin, [])
            while idle:
                kept = idle.pop()  # the most recently used first
                if now - kept.idle_since < self.idle_s and _open_and_quiet(kept.connection):
                    found = kept
                    break
                closed.append(kept)
            if not idle:
                self._idle.pop(origin, None)
        for kept in closed:
            kept.connection.close()
        if found is not None:
            found.connection.timeout = timeout
            if found.connection.sock is not None:
                found.connection.sock.settimeout(timeout)
        return found

    def _keep(self, origin: Origin, kept: _Kept) -> None:
        now = self.clock()
        kept.idle_since = now
        dropped: list[_Kept] = []
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            idle.append(kept)
            if len(idle) > self.max_idle_per_origin:
                dropped.append(idle.pop(0))
            for key in list(self._idle):  # expired ones go now, not when next asked for
                fresh = [k for k in self._idle[key] if now - k.idle_since < self.idle_s]
                dropped += [k for k in self._idle[key] if now - k.idle_since >= self.idle_s]
                if fresh:
                    self._idle[key] = fresh
                else:
                    del self._idle[key]
            while sum(len(v) for v in self._idle.values()) > self.max_idle:
                key = min(self._idle, key=lambda o: self._idle[o][0].idle_since)
                dropped.append(self._idle[key].pop(0))
                if not self._idle[key]:
                    del self._idle[key]
        for k in dropped:
            k.connection.close()


def _read(
    response: http.client.HTTPResponse, max_body: int, on_chunk: Callable[[bytes], None] | None
) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while chunk := response.read(_CHUNK):
        total += len(chunk)
        if total > max_body:
            raise BodyTooLarge(response.status, dict(response.headers.items()), max_body)
        if on_chunk is None:
            chunks.append(chunk)
        else:
            on_chunk(chunk)
    return b"".join(chunks)


def _follows(method: str, status: int, location: str | None) -> bool:
    return bool(location) and _next_method(method, status) is not None


def _stays(status: int, location: str | None) -> bool:
    return False


def _next_method(method: str, status: int) -> str | None:
    """The method a redirect is followed with, or None when it is not followed (as urllib: a
    GET or HEAD keeps its method; a POST becomes a GET without its body on 301, 302 and 303, and
    is not followed on 307 and 308, which would send the body to another target)."""
    if status not in REDIRECTS:
        return None
    if method in ("GET", "HEAD"):
        return method
    return "GET" if method == "POST" and status in (301, 302, 303) else None


def _open_and_quiet(connection: http.client.HTTPConnection) -> bool:
    """The kept socket is still open and has nothing to read (a closed peer makes it readable)."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _absolute(base: str, location: str) -> str:
    """A redirect's target as urllib would send it: relative to the answering URL, quoted."""
    target = urljoin(base, location)
    parts = urlsplit(target)
    if not parts.path and parts.netloc:
        target = parts._replace(path="/").geturl()
    return quote(target, encoding="iso-8859-1", safe=string.punctuation)


def _credential(header: str) -> bool:
    name = header.lower()
    return name in ("authorization", "cookie", "proxy-authorization") or "token" in name


_shared: Pool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> Pool:
    """The process's pool (made on first use, kept for the warm Lambda's life)."""
    global _shared  # noqa: PLW0603 - one pool per process is the point
    with _shared_lock:
        if _shared is None:
            _shared = Pool()
        return _shared


def request(method: str, url: str, **kwargs: Any) -> Reply:
    """:meth:`Pool.request` on the process's pool."""
    return shared_pool().request(method, url, **kwargs)
