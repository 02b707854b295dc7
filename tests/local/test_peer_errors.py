"""A loopback peer is quiet about clients that hang up, and loud about its own errors."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from groupaudit.local.peers.base import _Server


def _error_of(server: _Server, error: Exception) -> None:
    try:
        raise error
    except Exception:
        server.handle_error(None, ("127.0.0.1", 40000))


def test_a_client_that_hung_up_leaves_no_traceback_but_a_peer_s_own_error_does(capsys):
    # GIVEN a peer's server
    server = _Server(("127.0.0.1", 0), BaseHTTPRequestHandler)
    try:
        # WHEN the client hung up before its answer was written (an injected timeout), and when
        # the peer itself failed
        _error_of(server, BrokenPipeError(32, "Broken pipe"))
        _error_of(server, ConnectionResetError(104, "Connection reset by peer"))
        hung_up = capsys.readouterr().err
        _error_of(server, ValueError("a bug in the peer"))
        own = capsys.readouterr().err
    finally:
        server.server_close()
    # THEN only the peer's own error is printed, with its traceback
    assert hung_up == ""
    assert "Traceback" in own and "ValueError: a bug in the peer" in own
