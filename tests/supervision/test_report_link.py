"""The announced report link (pipeline/report_link.py, GET /reports/link/{token}): it lasts the
time it states, reaches the one document it names, and refuses an expired, altered or other
tenant's token with one answer, and a token that is no token with another."""

from __future__ import annotations

import base64
import copy
import hmac
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from groupaudit.pipeline import report_link, runtime
from groupaudit.pipeline.report_link import MalformedLink, ReportLink, UnknownLink, make_token, verify_token
from groupaudit.settings import Settings
from kit import invoke
from supervision.test_supervision_api import SAMPLE

KEY = b"k" * 64
NOW = 1_796_000_000  # 2026-11-29, unix seconds
WEEK = 7 * 24 * 3600
UNKNOWN = "unknown or expired report link: ask for the report again for a new link"


def follow(path: str) -> tuple[int, dict[str, str], dict[str, Any] | None]:
    """The API function's answer to an unsigned GET of ``path`` (no X-GroupAudit-* header)."""
    import json

    event = copy.deepcopy(SAMPLE)
    headers = {k: v for k, v in event["headers"].items() if not k.startswith("x-groupaudit-")}
    headers["content-length"] = "0"
    event.update(routeKey="GET /reports/link/{token}", rawPath=path, rawQueryString="", headers=headers)
    event["body"] = ""
    event["requestContext"].update(routeKey="GET /reports/link/{token}")
    event["requestContext"]["http"].update(method="GET", path=path)
    answer = invoke("api", event)
    body = json.loads(answer["body"]) if answer.get("body") else None
    return answer["statusCode"], answer.get("headers", {}), body


def _swap_payload(token: str, payload: bytes) -> str:
    """``token`` with its payload replaced and its signature kept."""
    signature = token.partition(".")[2]
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode() + "." + signature


# --- the token ---------------------------------------------------------------------------------


def test_a_token_names_its_document_until_it_expires() -> None:
    # GIVEN a token of acme's November HTML page, valid a week
    token = make_token(KEY, "acme", "2026-11", "html", NOW + WEEK)
    # THEN until its last second it names that page
    expected = ReportLink(tenant="acme", month="2026-11", fmt="html", expires=NOW + WEEK)
    assert verify_token(KEY, token, NOW) == expected
    assert verify_token(KEY, token, NOW + WEEK - 1) == expected
    # AND from its expiry on it is refused, in the words of an unknown link
    with pytest.raises(UnknownLink) as expired:
        verify_token(KEY, token, NOW + WEEK)
    assert str(expired.value) == UNKNOWN


def test_an_altered_token_another_tenants_or_another_keys_is_refused_alike() -> None:
    token = make_token(KEY, "acme", "2026-11", "html", NOW + WEEK)
    payload = base64.urlsafe_b64decode(token.partition(".")[0] + "==")
    assert payload == f"acme\n2026-11\nhtml\n{NOW + WEEK}".encode()
    altered = {
        # acme's signature on globex's page: another tenant's document
        "other tenant": _swap_payload(token, payload.replace(b"acme", b"globex")),
        # a later expiry, another month, another format under the same signature
        "longer": _swap_payload(
            token, payload.replace(str(NOW + WEEK).encode(), str(NOW + 9 * WEEK).encode())
        ),
        "month": _swap_payload(token, payload.replace(b"2026-11", b"2026-10")),
        "format": _swap_payload(token, payload.replace(b"html", b"json")),
        # the signature's last character changed
        "signature": token[:-1] + ("A" if token[-1] != "A" else "B"),
        # signed with another key
        "key": make_token(b"x" * 64, "acme", "2026-11", "html", NOW + WEEK),
    }
    for why, forged in altered.items():
        with pytest.raises(UnknownLink) as refused:
            verify_token(KEY, forged, NOW)
        assert str(refused.value) == UNKNOWN, why


@pytest.mark.parametrize(
    "token",
    ["", "abc", "not-a-token", "a" * 20 + "." + "b" * 42, "a" * 20 + "." + "b" * 44, "a+b/c=d.e", "a" * 500],
)
def test_what_is_no_token_is_told_so(token: str) -> None:
    with pytest.raises(MalformedLink, match="malformed report link"):
        verify_token(KEY, token, NOW)


def test_the_signature_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the module's compare watched
    compared = []
    real_compare = hmac.compare_digest

    def compare(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real_compare(a, b)

    monkeypatch.setattr(report_link.hmac, "compare_digest", compare)
    token = make_token(KEY, "acme", "2026-11", "html", NOW + WEEK)
    # WHEN a token is checked THEN its signature went through hmac.compare_digest, once
    verify_token(KEY, token, NOW)
    assert len(compared) == 1 and compared[0][0] == compared[0][1] and len(compared[0][0]) == 32


def test_a_token_is_made_only_of_what_it_may_name() -> None:
    for tenant, month, fmt in (
        ("a/b", "2026-11", "html"),
        ("acme", "2026-13", "html"),
        ("acme", "2026-11", "pdf"),
    ):
        with pytest.raises(ValueError):
            make_token(KEY, tenant, month, fmt, NOW)
    with pytest.raises(ValueError, match="key is empty"):
        make_token(b"", "acme", "2026-11", "html", NOW)


# --- the route ---------------------------------------------------------------------------------


@pytest.fixture
def stored(settings: Settings) -> bytes:
    """acme's and globex's November pages in the report bucket; the stack's link key."""
    s3 = runtime.client("s3")
    for tenant in ("acme", "globex"):
        for fmt in ("html", "json"):
            key = report_link.report_key(tenant, "2026-11", fmt)
            s3.put_object(Bucket=settings.report_bucket, Key=key, Body=f"{tenant} {fmt}".encode())
    return report_link.function_key(settings)


def _valid_for(location: str) -> float:
    """The seconds a presigned GET is valid for (SigV4 says so; SigV2 names its expiry)."""
    query = parse_qs(urlparse(location).query)
    if "X-Amz-Expires" in query:
        return int(query["X-Amz-Expires"][0])
    return int(query["Expires"][0]) - time.time()


def test_a_valid_link_redirects_unsigned_to_a_short_presigned_get_of_its_document(
    stored: bytes, settings: Settings
) -> None:
    # GIVEN a link to acme's November page made with the stack's key, valid a week
    token = make_token(stored, "acme", "2026-11", "html", int(time.time()) + WEEK)
    # WHEN it is followed, unsigned
    status, headers, body = follow(f"/reports/link/{token}")
    # THEN 302 to a presigned GET of that object, valid minutes, not to be cached or referred
    assert (status, body) == (302, None)
    location = urlparse(headers["Location"])
    assert location.path.endswith(f"/{settings.report_bucket}/reports/acme/2026-11/report.html") or (
        location.path == "/reports/acme/2026-11/report.html"
    )
    assert 290 <= _valid_for(headers["Location"]) <= 300
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
    assert requests.get(headers["Location"], timeout=5).content == b"acme html"


def test_a_link_in_its_last_minute_redirects_for_what_is_left_of_it(stored: bytes) -> None:
    token = make_token(stored, "acme", "2026-11", "json", int(time.time()) + 42)
    status, headers, _ = follow(f"/reports/link/{token}")
    assert status == 302 and 32 <= _valid_for(headers["Location"]) <= 42
    assert requests.get(headers["Location"], timeout=5).content == b"acme json"


def test_expired_altered_and_other_tenant_links_get_one_404(stored: bytes) -> None:
    # GIVEN acme's link, and what an attacker might make of it
    now = int(time.time())
    token = make_token(stored, "acme", "2026-11", "html", now + WEEK)
    payload = f"acme\n2026-11\nhtml\n{now + WEEK}".encode()
    refused = {
        "expired": make_token(stored, "acme", "2026-11", "html", now - 1),
        "other tenant": _swap_payload(token, payload.replace(b"acme", b"globex")),
        "altered": _swap_payload(token, payload.replace(b"html", b"json")),
        "not ours": make_token(b"guess" * 10, "acme", "2026-11", "html", now + WEEK),
    }
    assert follow(f"/reports/link/{token}")[0] == 302  # the link itself is good
    # WHEN each is followed THEN each gets the same 404 and the same words: nothing tells an
    # expired link of an existing report from a forged one
    answers = {why: follow(f"/reports/link/{forged}") for why, forged in refused.items()}
    for why, (status, headers, body) in answers.items():
        assert (status, body) == (404, {"error": UNKNOWN, "details": []}), why
        assert "Location" not in headers, why


def test_no_token_is_a_400_and_the_signed_routes_stay_signed(stored: bytes) -> None:
    status, _, body = follow("/reports/link/not-a-token")
    assert body is not None, "a refused link is answered with an error body"
    assert (status, body["error"]) == (400, "malformed report link: the token is not one this service makes")
    # AND the other report routes still refuse an unsigned request
    status, _, body = follow("/reports/2026-11")
    assert status == 401
