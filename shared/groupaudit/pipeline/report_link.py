"""The report link that lasts the time it states (docs/SUPERVISION.md "Monthly report").

A presigned S3 GET dies with the session credentials that signed it (a function role's: hours),
whatever its ``ExpiresIn`` says. The link announced to the supervision contact is instead ours:
``{API_URL}/reports/link/{token}``, where the token is

    base64url("{tenant}\\n{YYYY-MM}\\n{format}\\n{expires, unix seconds}")
    "." base64url(HMAC-SHA256(link key, "groupaudit report link v1\\n" + that payload))

keyed by the secret ``{SECRETS_PREFIX}report-links`` (template.yaml ``ReportLinkKey``). The
public route ``GET /reports/link/{token}`` checks the HMAC in constant time, then the expiry,
and answers 302 to a fresh presigned GET of a few minutes (``REDIRECT_SECONDS``) of that one
object, ``reports/{tenant}/{YYYY-MM}/report.{format}``: the object key comes from the signed
payload only, so a token reaches one tenant's one document and no other.

A token that is well-formed but not ours, altered, made for another tenant's document or
expired gets one answer, ``UnknownLink``, so the route tells nobody which tenants, months or
reports exist; only a token that is not a token at all (``MalformedLink``) is told so.
Rotating the link key ends every link made before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

from groupaudit.errors import GroupAuditError
from groupaudit.settings import ConfigError, Settings
from groupaudit.wire import _ID as ID_PATTERN

LINK_SECRET = "report-links"  # under SECRETS_PREFIX: groupaudit/report-links
LINK_PATH = "/reports/link/"
REDIRECT_SECONDS = 300  # the presigned GET the link redirects to
FORMATS = ("json", "html", "xlsx")
MAX_TOKEN_CHARS = 400

_CONTEXT = b"groupaudit report link v1\n"
_TOKEN = re.compile(r"^([A-Za-z0-9_-]{8,340})\.([A-Za-z0-9_-]{43})$")  # 43: a 32-byte HMAC
_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
# The one answer to a well-formed token that is not a valid link (forged, altered, expired).
_UNKNOWN = "unknown or expired report link: ask for the report again for a new link"


class LinkError(GroupAuditError):
    """A report link refused."""


class MalformedLink(LinkError):
    """The token is not a report link token at all (shape, length, alphabet)."""


class UnknownLink(LinkError):
    """Not a link we made, altered, or expired: one answer for all of them."""


@dataclass(frozen=True)
class ReportLink:
    tenant: str
    month: str
    fmt: str
    expires: int  # unix seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, _CONTEXT + payload, hashlib.sha256).digest()


def make_token(key: bytes, tenant: str, month: str, fmt: str, expires: int) -> str:
    """The token of ``reports/{tenant}/{month}/report.{fmt}`` until ``expires`` (unix seconds)."""
    if not key:
        raise ValueError("the report link key is empty")
    if not re.fullmatch(ID_PATTERN, tenant):
        raise ValueError(f"tenant: not a tenant id: {tenant!r}")
    if not _MONTH.fullmatch(month):
        raise ValueError(f"month: expected YYYY-MM, got {month!r}")
    if fmt not in FORMATS:
        raise ValueError(f"format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    payload = f"{tenant}\n{month}\n{fmt}\n{int(expires)}".encode()
    return f"{_b64(payload)}.{_b64(_mac(key, payload))}"


def report_key(tenant: str, month: str, fmt: str) -> str:
    """The report bucket's key of a tenant's month's document."""
    return f"reports/{tenant}/{month}/report.{fmt}"


def link_url(base: str, token: str) -> str:
    """``base`` (the API's URL, e.g. ``https://abc.execute-api.ap-east-1.amazonaws.com/``) and
    the token's route."""
    return base.rstrip("/") + LINK_PATH + token


def verify_token(key: bytes, token: str, now: float) -> ReportLink:
    """The link ``token`` names, or ``MalformedLink`` / ``UnknownLink``. The HMAC is compared in
    constant time before anything in the payload is read; the expiry is checked after it, so an
    expired link and a forged one are refused alike."""
    matched = _TOKEN.fullmatch(token) if len(token) <= MAX_TOKEN_CHARS else None
    if matched is None:
        raise MalformedLink("malformed report link: the token is not one this service makes")
    try:
        payload, signature = _unb64(matched[1]), _unb64(matched[2])
    except (binascii.Error, ValueError):
        raise MalformedLink("malformed report link: the token is not base64url") from None
    if not hmac.compare_digest(_mac(key, payload), signature):
        raise UnknownLink(_UNKNOWN)
    try:
        tenant, month, fmt, expires = payload.decode().split("\n")
        link = ReportLink(tenant=tenant, month=month, fmt=fmt, expires=int(expires))
    except ValueError:  # signed by us, so never in practice: refused like any unknown link
        raise UnknownLink(_UNKNOWN) from None
    if link.fmt not in FORMATS or link.expires <= int(now):
        raise UnknownLink(_UNKNOWN)
    return link


def secret_name(settings: Settings) -> str:
    """The Secrets Manager name of the link key."""
    return f"{settings.secrets_prefix}{LINK_SECRET}"


def function_key(settings: Settings) -> bytes:
    """The link key as the functions read it (Powertools Parameters, cached five minutes);
    ConfigError naming the secret when it is missing."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    from groupaudit.pipeline import runtime

    try:
        key = runtime.secret(settings, LINK_SECRET)
    except GetParameterError as exc:
        raise missing_key(settings) from exc
    if not key:
        raise missing_key(settings)
    return key


def missing_key(settings: Settings) -> ConfigError:
    return ConfigError(
        f"the report link key {secret_name(settings)} is missing or empty: the stack creates it "
        "(ReportLinkKey); elsewhere create that secret with a random value"
    )
