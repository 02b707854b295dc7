"""Hashing a file's bytes from its ``download_url`` when the snapshot gives no sha256.

The command line only (the pipeline never fetches a snapshot's URLs). An http(s) URL is fetched
through the process's connection pool (:mod:`groupaudit.outbound`), every new connection through
:mod:`groupaudit.netguard`: its host must resolve only to allowed addresses (by default public
ones and loopback peers; never private, link-local or metadata addresses), the checked address is
the one connected to, and a redirect is followed only to a target that passes the same check. A
refusal leaves the file "cannot verify backup"."""

from __future__ import annotations

import hashlib
import http.client
import urllib.error
import urllib.request
from urllib.parse import urlparse

from groupaudit import netguard, outbound

ALLOWED_SCHEMES = ("https", "http", "file")
# Hosts that answer an unauthenticated request with a sign-in page (HTTP 200): hashing that
# page would "verify" the wrong bytes, so such files stay "cannot verify backup".
AUTH_REQUIRED_HOSTS = ("files.slack.com",)
MAX_BYTES = 512 * 1024 * 1024
TIMEOUT_S = 30


class DownloadError(Exception):
    """The bytes could not be fetched; the file stays 'cannot verify backup'."""


def sha256_from_url(
    url: str,
    *,
    max_bytes: int = MAX_BYTES,
    timeout: float = TIMEOUT_S,
    network: netguard.Network = netguard.LOCAL_PEERS,
) -> str:
    parts = urlparse(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise DownloadError(f"unsupported URL scheme {scheme!r}")
    if (parts.hostname or "").lower() in AUTH_REQUIRED_HOSTS:
        raise DownloadError(f"{parts.hostname} needs the platform's token; not fetched")
    digest = hashlib.sha256()
    if scheme == "file":
        _hash_file(url, digest, max_bytes, timeout)
        return digest.hexdigest()
    try:
        reply = outbound.request(
            "GET",
            url,
            network=network,
            timeout=timeout,
            redirects=True,
            max_body=max_bytes,
            on_chunk=digest.update,
        )
    except netguard.AddressRefused as exc:
        raise DownloadError(f"not fetched: {exc}") from None
    except outbound.BodyTooLarge:
        raise DownloadError(f"file larger than {max_bytes} bytes") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise DownloadError(str(getattr(exc, "reason", exc))) from exc
    if not 200 <= reply.status < 300:
        raise DownloadError(f"HTTP {reply.status} {reply.reason}".rstrip())
    return digest.hexdigest()


def _hash_file(url: str, digest: hashlib._Hash, max_bytes: int, timeout: float) -> None:
    total = 0
    try:
        with urllib.request.build_opener().open(url, timeout=timeout) as response:
            while chunk := response.read(1 << 20):
                total += len(chunk)
                if total > max_bytes:
                    raise DownloadError(f"file larger than {max_bytes} bytes")
                digest.update(chunk)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DownloadError(str(getattr(exc, "reason", exc))) from exc
