"""`groupaudit api`: a request signed as docs/API.md says, sent, and its JSON answer printed."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from groupaudit.cli import EXIT_INVALID, EXIT_OK, EXIT_PLATFORM, api_request, main
from groupaudit.local.api_server import logging_at, served_api
from groupaudit.signing import request_message, verify
from kit import EVENTS, TENANT


@contextmanager
def recorder(status: int = 202, answer: bytes = b'{"audit_id": "a1"}') -> Iterator[tuple[str, list[dict]]]:
    """An HTTP server on 127.0.0.1 that records each request and gives one answer."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": self.rfile.read(length),
                }
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_the_signature_is_the_worked_example_of_the_api_doc(monkeypatch, capsys):
    # GIVEN docs/API.md's worked example: secret example-secret, timestamp 1767225600, this body
    body = '{"tenant_id":"acme","group_id":"all"}'
    monkeypatch.setattr(api_request, "clock", lambda: 1767225600.7)
    monkeypatch.setenv("EXAMPLE_KEY", "example-secret")
    example = json.loads((EVENTS / "api_post_audits.json").read_text())["headers"]
    with recorder() as (url, seen):
        # WHEN it is sent with `groupaudit api`
        argv = ["api", "post", "/audits", "--data", body, "--tenant", "acme", "--key-env", "EXAMPLE_KEY"]
        status = main([*argv, "--url", url])
    # THEN the request carries exactly the example's headers and body, and the answer is printed
    [request] = seen
    assert status == EXIT_OK
    assert (request["method"], request["path"], request["body"]) == ("POST", "/audits", body.encode())
    for name in ("x-groupaudit-tenant", "x-groupaudit-timestamp", "x-groupaudit-signature"):
        assert request["headers"][name] == example[name]
    assert example["x-groupaudit-signature"] == (
        "sha256=1f1aa317625cfdf4c4760b74e8383dc565c436ebf186982f21fc21522966eb7d"
    )
    assert json.loads(capsys.readouterr().out) == {"audit_id": "a1"}


def test_a_body_file_is_sent_byte_for_byte_and_a_key_file_s_newline_is_not_key(tmp_path, capsys):
    # GIVEN a body file ending in a newline and a key file written with echo
    body = tmp_path / "group.json"
    body.write_bytes(b'{"tenant_id": "acme",\n "group_id": "grp-\xe9\x94\x80"}\n')
    key = tmp_path / "acme.key"
    key.write_text("s3cret\n")
    with recorder(201, b'{"ok": true}') as (url, seen):
        argv = ["api", "POST", "/groups", "--data", f"@{body}", "--tenant", "acme", "--key-file", str(key)]
        assert main([*argv, "--url", url + "/"]) == EXIT_OK
    [request] = seen
    # THEN the body is the file's bytes, and its signature verifies with the key less the newline
    assert request["body"] == body.read_bytes()
    headers = request["headers"]
    message = request_message(headers["x-groupaudit-timestamp"], "POST", "/groups", request["body"])
    verify(b"s3cret", message, headers["x-groupaudit-signature"])
    assert abs(int(headers["x-groupaudit-timestamp"]) - time.time()) < 60


def test_the_query_string_is_signed_as_sent(monkeypatch, capsys):
    monkeypatch.setenv("GROUPAUDIT_SECRET", "k")
    with recorder(200, b'{"findings": []}') as (url, seen):
        path = "/groups/grp-sales/findings?status=open&limit=5"
        assert main(["api", "GET", path, "--tenant", "acme", "--url", url]) == EXIT_OK
    [request] = seen
    assert request["path"] == path and request["body"] == b""
    headers = request["headers"]
    verify(
        b"k",
        request_message(headers["x-groupaudit-timestamp"], "GET", path, b""),
        headers["x-groupaudit-signature"],
    )


@pytest.mark.parametrize(
    ("status", "exit_status"), [(401, EXIT_INVALID), (404, EXIT_INVALID), (503, EXIT_PLATFORM)]
)
def test_an_error_answer_is_printed_and_sets_the_exit_status(status, exit_status, monkeypatch, capsys):
    monkeypatch.setenv("GROUPAUDIT_SECRET", "k")
    with recorder(status, b'{"error": "no"}') as (url, _):
        assert main(["api", "GET", "/groups", "--tenant", "acme", "--url", url]) == exit_status
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"error": "no"}
    assert captured.err == f"error: HTTP {status}\n"


def test_bad_arguments_are_named_before_anything_is_sent(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("GROUPAUDIT_SECRET", raising=False)
    monkeypatch.delenv("GROUPAUDIT_TENANT", raising=False)
    with recorder() as (url, seen):
        status = main(["api", "GET", "groups", "--data", "{not json", "--url", url])
    assert status == EXIT_INVALID and seen == []
    err = capsys.readouterr().err
    assert "--tenant: no tenant: pass --tenant T or set GROUPAUDIT_TENANT" in err
    assert "PATH: 'groups' does not start with / (e.g. /audits)" in err
    assert "--key-file/--key-env: no API secret in the environment variable GROUPAUDIT_SECRET" in err
    assert "--data: not JSON" in err
    assert "--data: GET requests carry no body" in err


def test_an_unreachable_api_exits_3(monkeypatch, capsys):
    monkeypatch.setenv("GROUPAUDIT_SECRET", "k")
    with recorder() as (url, _):
        pass  # closed: nothing listens on its port any more
    assert (
        main(["api", "GET", "/groups", "--tenant", "acme", "--url", url, "--timeout", "2"]) == EXIT_PLATFORM
    )
    assert "unreachable" in capsys.readouterr().err


def _api(*argv: str, secret: str) -> tuple[int, Any]:
    """`groupaudit api ARGV` as its own process (the served functions print to this one's stdout)."""
    env = {**os.environ, "GROUPAUDIT_SECRET": secret}
    command = [sys.executable, "-m", "groupaudit.cli", "api", *argv]
    done = subprocess.run(command, capture_output=True, env=env, check=False, timeout=60)
    return done.returncode, json.loads(done.stdout)


def test_an_audit_through_the_local_api_then_its_findings():
    # GIVEN the API served on a free loopback port over the sample tenant
    with logging_at("WARNING"), served_api(TENANT, port=0, poll_s=0.1, out=io.StringIO()) as served:
        base = ["--tenant", served.tenant, "--url", served.url]
        # WHEN an audit of the sales group is asked with `groupaudit api`, the secret in GROUPAUDIT_SECRET
        body = json.dumps({"tenant_id": "acme", "group_id": "grp-sales"})
        status, accepted = _api("POST", "/audits", "--data", body, *base, secret=served.secret)
        assert status == EXIT_OK
        # THEN it is accepted, runs to completion, and its nine open findings are read back
        for _ in range(60):
            status, audit = _api("GET", f"/audits/{accepted['audit_id']}", *base, secret=served.secret)
            assert status == EXIT_OK
            if audit["status"] not in ("queued", "running"):
                break
            time.sleep(0.2)
        assert (audit["status"], audit["findings_total"]) == ("succeeded", 9)
        status, page = _api("GET", "/groups/grp-sales/findings?status=open", *base, secret=served.secret)
        assert status == EXIT_OK and len(page["findings"]) == 9
        # AND a wrong secret is refused by the API
        status, refused = _api("GET", "/groups", *base, secret="not-the-secret")
        assert status == EXIT_INVALID
        assert refused["error"].startswith("signature does not match")
