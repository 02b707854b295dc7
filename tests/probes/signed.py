"""Requests to the API function as a client sends them, signed (or deliberately not)."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from groupaudit import signing
from kit import ROOT, invoke

SAMPLE = json.loads((ROOT / "events" / "api_post_audits.json").read_text(encoding="utf-8"))
ACME, GLOBEX, INITECH = "acme", "globex", "initech"  # initech has no API secret
SECRETS = {ACME: b"acme-api-secret", GLOBEX: b"globex-api-secret"}


def http_event(
    method: str,
    path: str,
    body: bytes = b"",
    *,
    tenant: str | None = ACME,
    secret: bytes | None = None,
    timestamp: str | None = None,
    signed_body: bytes | None = None,
    signed_method: str | None = None,
    signed_path: str | None = None,
    headers: dict[str, str] | None = None,
    omit: tuple[str, ...] = (),
    base64_body: bool = False,
) -> dict:
    """An HTTP API v2 event; the signature covers ``signed_*`` when given (a body changed after
    signing), else what is sent. ``headers`` are set last (lower-cased), ``omit`` removed."""
    path_only, _, query = path.partition("?")
    stamp = str(int(time.time())) if timestamp is None else timestamp
    key = SECRETS.get(tenant or "", b"none") if secret is None else secret
    signature = signing.sign_request(
        key,
        stamp,
        signed_method or method,
        signed_path or path,
        body if signed_body is None else signed_body,
    )
    event = copy.deepcopy(SAMPLE)
    sent = {k: v for k, v in event["headers"].items() if not k.startswith("x-groupaudit-")}
    sent.update({"content-length": str(len(body)), "x-groupaudit-timestamp": stamp})
    sent["x-groupaudit-signature"] = signature
    if tenant is not None:
        sent["x-groupaudit-tenant"] = tenant
    sent.update({name.lower(): value for name, value in (headers or {}).items()})
    for name in omit:
        sent.pop(name, None)
    event.update(
        routeKey=f"{method} {path_only}",
        rawPath=path_only,
        rawQueryString=query,
        headers=sent,
        body=body.decode("utf-8", "surrogateescape"),
    )
    if base64_body:
        import base64

        event.update(body=base64.b64encode(body).decode(), isBase64Encoded=True)
    if query:
        event["queryStringParameters"] = dict(part.partition("=")[::2] for part in query.split("&"))
    event["requestContext"].update(routeKey=f"{method} {path_only}")
    event["requestContext"]["http"].update(method=method, path=path_only)
    return event


def send(event: dict) -> tuple[int, Any]:
    """The status and the decoded JSON body (None when the answer has none)."""
    answer = invoke("api", event)
    return answer["statusCode"], json.loads(answer["body"]) if answer.get("body") else None


def call(method: str, path: str, body: bytes | dict = b"", **kwargs) -> tuple[int, Any]:
    raw = json.dumps(body, separators=(",", ":")).encode() if isinstance(body, dict) else body
    return send(http_event(method, path, raw, **kwargs))
