"""HMAC-SHA256 signatures: on requests to our API, and on the notices our webhook sends.

API requests (``POST /audits`` and the other routes) carry

    X-GroupAudit-Tenant: <tenant id>
    X-GroupAudit-Timestamp: <unix seconds>
    X-GroupAudit-Signature: sha256=<hex HMAC-SHA256(secret, "{timestamp}\\n{METHOD}\\n{path}\\n{body}")>

where ``path`` includes the query string. Webhook notices we send carry the same two headers
with the HMAC over ``"{timestamp}\\n{body}"``.
"""

from __future__ import annotations

import hashlib
import hmac


class SignatureError(Exception):
    """Why a request's signature is refused (missing, malformed, stale, wrong, replayed)."""


def request_message(timestamp: str, method: str, path: str, body: bytes) -> bytes:
    return f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body


def sign(secret: bytes, message: bytes) -> str:
    return "sha256=" + hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign_request(secret: bytes, timestamp: str, method: str, path: str, body: bytes) -> str:
    return sign(secret, request_message(timestamp, method, path, body))


def sign_webhook(secret: bytes, timestamp: str, body: bytes) -> str:
    return sign(secret, f"{timestamp}\n".encode() + body)


def check_timestamp(timestamp: str | None, now: float, tolerance_s: int) -> int:
    if not timestamp:
        raise SignatureError("missing X-GroupAudit-Timestamp")
    try:
        value = int(timestamp)
    except ValueError:
        raise SignatureError("X-GroupAudit-Timestamp is not unix seconds") from None
    if abs(value - int(now)) > tolerance_s:  # in integers: a 400-digit timestamp is no float
        raise SignatureError(f"timestamp is more than {tolerance_s} seconds off")
    return value


def verify(secret: bytes, message: bytes, signature: str | None) -> None:
    if not signature:
        raise SignatureError("missing X-GroupAudit-Signature")
    if not signature.startswith("sha256="):
        raise SignatureError("X-GroupAudit-Signature must be sha256=<hex>")
    if not hmac.compare_digest(sign(secret, message), signature):
        raise SignatureError("signature does not match")
