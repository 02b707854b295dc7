"""Hashing a file from its download_url (CLI only; the pipeline never fetches)."""

from __future__ import annotations

import hashlib

import pytest

from groupaudit.adapters.download import DownloadError, sha256_from_url


def test_a_local_file_url_is_hashed(tmp_path):
    # GIVEN a file on disk
    path = tmp_path / "合同.pdf"
    path.write_bytes(b"contract bytes")
    # WHEN hashed through its file:// URL
    # THEN the SHA-256 of its bytes comes back
    assert sha256_from_url(path.as_uri()) == hashlib.sha256(b"contract bytes").hexdigest()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://files.slack.com/files-pri/T1-F1/contract.pdf", "needs the platform's token"),
        ("ftp://example.com/a.pdf", "unsupported URL scheme 'ftp'"),
    ],
)
def test_urls_that_cannot_give_the_real_bytes_are_not_fetched(url, reason):
    # GIVEN a URL behind a sign-in page, or of another scheme
    # WHEN hashing is asked for
    # THEN it is refused with the reason (the file stays "cannot verify backup")
    with pytest.raises(DownloadError, match=reason):
        sha256_from_url(url)


def test_a_file_larger_than_the_cap_is_refused(tmp_path):
    # GIVEN a file of 2 KiB and a cap of 1 KiB
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 2048)
    # WHEN hashed
    # THEN it is refused
    with pytest.raises(DownloadError, match="larger than 1024 bytes"):
        sha256_from_url(path.as_uri(), max_bytes=1024)
