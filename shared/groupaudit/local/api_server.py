"""``groupaudit serve-api``: the HTTP API on 127.0.0.1, in front of the local stack.

Each HTTP request becomes the API Gateway (HTTP API, payload 2.0) event the deployed function
gets, and goes through the real ``functions/api`` handler. A background loop drains the audit
and notice queues through the worker and notifier handlers, so an on-demand audit sent with
curl runs and its findings can be read back. The handlers log at the template's
``POWERTOOLS_LOG_LEVEL`` (``template_log_level``), as deployed: a log call that only fails when
it is emitted fails here.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from groupaudit.local.invoke import LambdaContext, drain, load_handler
from groupaudit.local.seed import seed_tenant
from groupaudit.local.stack import TEMPLATE, local_stack
from groupaudit.pipeline import runtime
from groupaudit.settings import load_settings

DEMO_SECRET = "local-demo-secret"
MAX_BODY = 1 << 20
SERVICE = "groupaudit"  # POWERTOOLS_SERVICE_NAME: the name of the functions' logger


def template_log_level(template: Path = TEMPLATE) -> str:
    """The log level of every function: ``POWERTOOLS_LOG_LEVEL`` of the template's
    ``Globals.Function.Environment.Variables``, a literal or a ``!Ref`` to a parameter with a
    default (``LogLevel``: INFO)."""
    from groupaudit.local.resources import TemplateError, load_template

    document = load_template(template)
    variables = document.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    value = variables.get("POWERTOOLS_LOG_LEVEL")
    if isinstance(value, dict) and set(value) == {"Ref"}:
        value = document.get("Parameters", {}).get(value["Ref"], {}).get("Default")
    if not isinstance(value, str) or not isinstance(logging.getLevelName(value.upper()), int):
        raise TemplateError(
            f"{template}: Globals.Function.Environment POWERTOOLS_LOG_LEVEL is not a log level"
        )
    return value.upper()


@contextmanager
def logging_at(level: str) -> Iterator[None]:
    """The functions' logger at ``level`` while inside (it keeps the level of its first
    creation otherwise, which may have been another run's)."""
    logger = logging.getLogger(SERVICE)
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)


def http_event(method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str) -> dict:
    """The HTTP API (payload 2.0) event for one request."""
    parts = urlsplit(target)
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": {key.lower(): value for key, value in headers.items()},
        "queryStringParameters": _query(parts.query),
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": parts.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("User-Agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": body.decode("utf-8") if body else None,
        "isBase64Encoded": False,
    }


def _query(query: str) -> dict[str, str] | None:
    from urllib.parse import parse_qsl

    pairs = parse_qsl(query, keep_blank_values=True)
    return dict(pairs) if pairs else None


def _request_handler(api: Callable[[dict, object], dict]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.send_error(413, "request body too large")
                return
            body = self.rfile.read(length) if length else b""
            event = http_event(
                self.command, self.path, dict(self.headers.items()), body, self.client_address[0]
            )
            answer = api(event, LambdaContext("api"))
            payload = (answer.get("body") or "").encode("utf-8")
            self.send_response(int(answer.get("statusCode", 500)))
            for key, value in (answer.get("headers") or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@dataclass
class ServedApi:
    url: str
    tenant: str
    secret: str
    moto_endpoint: str


@contextmanager
def served_api(
    tenant_dir: Path, port: int = 8787, poll_s: float = 0.5, out: IO[str] | None = None
) -> Iterator[ServedApi]:
    """The local stack, seeded with a tenant, behind an HTTP server on 127.0.0.1:``port``.

    Notices posted by the console channel go to stdout, or to ``out`` when given.
    """
    level = template_log_level()
    with local_stack(log_level=level) as stack, logging_at(level):
        settings = load_settings()
        store = runtime.store(settings)
        registrations = seed_tenant(
            tenant_dir,
            s3_client=runtime.client("s3"),
            store=store,
            snapshot_bucket=settings.snapshot_bucket,
            backup_bucket=settings.backup_bucket,
        )
        tenants = sorted({r.tenant_id for r in registrations})
        secrets = runtime.client("secretsmanager")
        for tenant in tenants:
            secrets.create_secret(
                Name=f"{settings.secrets_prefix}tenants/{tenant}/api", SecretString=DEMO_SECRET
            )
        server = ThreadingHTTPServer(("127.0.0.1", port), _request_handler(load_handler("api")))
        stop = threading.Event()
        threads = [
            threading.Thread(target=server.serve_forever, daemon=True),
            threading.Thread(target=_pump, args=(settings, stop, poll_s, out), daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            yield ServedApi(
                url=f"http://127.0.0.1:{server.server_port}",
                tenant=tenants[0] if tenants else "",
                secret=DEMO_SECRET,
                moto_endpoint=stack.endpoint,
            )
        finally:
            stop.set()
            server.shutdown()
            server.server_close()
            for thread in threads:
                thread.join(timeout=10)


def _pump(settings: object, stop: threading.Event, poll_s: float, out: IO[str] | None) -> None:
    """Run queued audits and notices, as the event-source mappings would."""
    sqs = runtime.client("sqs")
    worker, notifier = load_handler("audit_worker"), load_handler("notifier")
    while not stop.is_set():
        drain(sqs, settings.audit_queue_url, worker, "audit_worker")  # type: ignore[attr-defined]
        with contextlib.redirect_stdout(out) if out else contextlib.nullcontext():
            drain(sqs, settings.notice_queue_url, notifier, "notifier")  # type: ignore[attr-defined]
        stop.wait(poll_s)
