"""A loopback HTTP server with a request log and scripted answers, the base of every peer."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import urllib.parse
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

Answer = tuple[int, dict[str, str], bytes]


def json_answer(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    return (
        status,
        {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        json.dumps(payload, ensure_ascii=False).encode(),
    )


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class _Server(ThreadingHTTPServer):
    """Keeps its open connections, so a stopped peer is gone for a client that kept one alive."""

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()
        self.accepted = 0  # TCP connections accepted since the start

    def process_request(self, request: Any, client_address: Any) -> None:
        self.accepted += 1
        self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up before its answer was written (a timeout the test injected, a
        kept connection closed) is the client's business: no traceback on stderr for it."""
        if isinstance(sys.exc_info()[1], ConnectionError):  # broken pipe, reset, aborted
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        for connection in list(self.connections):
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)


@dataclass
class Peer(ABC):
    """Subclasses implement :meth:`route`. ``script(path, *answers)`` queues answers given to
    the next requests on that path (before :meth:`route` is asked), to play failures.
    ``fault``, the one failure hook every peer has, is asked first about every request (token
    calls included): an answer it returns is sent instead of the platform's, None lets the
    request through (scripted answers, then :meth:`route`)."""

    name: str = "peer"
    received: list[Request] = field(default_factory=list)
    fault: Callable[[Request], Answer | None] | None = None
    _scripted: dict[str, list[Answer]] = field(default_factory=lambda: defaultdict(list))
    _server: _Server | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @abstractmethod
    def route(self, request: Request) -> Answer:
        """The platform's answer to ``request``."""

    def script(self, path: str, *answers: Answer) -> None:
        with self._lock:
            self._scripted[path].extend(answers)

    def requests(self, path: str) -> list[Request]:
        return [r for r in self.received if r.path == path]

    @property
    def connections(self) -> int:
        """TCP connections the peer accepted since it started (a kept-alive one counts once)."""
        assert self._server is not None, "start the peer first"
        return self._server.accepted

    @property
    def url(self) -> str:
        assert self._server is not None, "start the peer first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> Self:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # a kept-alive answer's body must not wait for an ACK

            def _serve(self) -> None:
                split = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    split.path,
                    urllib.parse.parse_qs(split.query, keep_blank_values=True),
                    dict(self.headers.items()),
                    self.rfile.read(length) if length else b"",
                )
                with peer._lock:
                    peer.received.append(request)
                answer = peer.fault(request) if peer.fault is not None else None
                if answer is None:
                    with peer._lock:
                        scripted = peer._scripted.get(request.path)
                        answer = scripted.pop(0) if scripted else None
                if answer is None:
                    try:
                        answer = peer.route(request)
                    except Exception as exc:  # a peer bug shows as a 500 with the reason
                        answer = json_answer({"peer_error": repr(exc)}, 500)
                status, headers, payload = answer
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
