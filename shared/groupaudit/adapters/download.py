"""Hashing a file's bytes from its ``download_url`` when the snapshot gives no sha256.

The command line only (the pipeline never fetches a snapshot's URLs). An http(s) URL is fetched
through :mod:`groupaudit.netguard`: its host must resolve only to allowed addresses (by default
public ones and loopback peers; never private, link-local or metadata addresses), the checked
address is the one connected to, and a redirect is followed only to a target that passes the
same check. A refusal leaves the file "cannot verify backup"."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from urllib.parse import urlparse

from groupaudit import netguard

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
    total = 0
    if scheme == "file":
        opener = urllib.request.build_opener()
    else:
        opener = netguard.opener(network, redirects=urllib.request.HTTPRedirectHandler)
    try:
        with opener.open(url, timeout=timeout) as response:
            while chunk := response.read(1 << 20):
                total += len(chunk)
                if total > max_bytes:
                    raise DownloadError(f"file larger than {max_bytes} bytes")
                digest.update(chunk)
    except netguard.AddressRefused as exc:
        raise DownloadError(f"not fetched: {exc}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DownloadError(str(getattr(exc, "reason", exc))) from exc
    return digest.hexdigest()
