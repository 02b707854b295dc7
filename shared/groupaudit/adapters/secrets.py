"""Secrets Manager answers, read the same way wherever a secret is looked up (the worker's
platform credentials, the API's tenant signing secrets)."""

from __future__ import annotations


def secret_missing(exc: BaseException) -> bool:
    """Whether a secret lookup failed because the secret does not exist (Powertools wraps the
    SDK's error, as the implicit context)."""
    from botocore.exceptions import ClientError

    cause = exc.__context__ or exc
    return isinstance(cause, ClientError) and cause.response["Error"]["Code"] == "ResourceNotFoundException"
