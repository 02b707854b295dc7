"""What the handlers need, built on first use and kept for the life of the container.

Settings are validated at every invocation; AWS clients are created once (never at import).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from groupaudit.settings import Settings, load_settings


def now() -> datetime:
    return datetime.now(UTC)


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)


def reset() -> None:
    """Forget cached clients (tests switch AWS endpoints between cases)."""
    client.cache_clear()


def store(settings: Settings) -> Any:
    from groupaudit.adapters.store import Store

    return Store(settings.table_name, client("dynamodb"))


def worker_deps() -> Any:
    from groupaudit.pipeline.worker import WorkerDeps

    settings = load_settings()
    return WorkerDeps(settings=settings, store=store(settings), s3=client("s3"), sqs=client("sqs"), clock=now)


def notifier_deps() -> Any:
    from groupaudit.pipeline.notify import NotifierDeps

    settings = load_settings()
    return NotifierDeps(
        store=store(settings), channel_for=lambda message: channel_for(message, settings), clock=now
    )


def channel_for(message: Any, settings: Settings) -> Any:
    from groupaudit.pipeline.channels import ConsoleChannel, WebhookChannel

    if message.channel.type == "console":
        return ConsoleChannel()
    return WebhookChannel(str(message.channel.url), secret(settings, message.channel.secret_name))


def secret(settings: Settings, name: str) -> bytes:
    """A secret from Secrets Manager (cached five minutes by Powertools Parameters)."""
    from aws_lambda_powertools.utilities import parameters

    provider = parameters.SecretsProvider(boto3_client=client("secretsmanager"))
    value = provider.get(f"{settings.secrets_prefix}{name}", max_age=300)
    return value if isinstance(value, bytes) else str(value).encode()


def fanout_deps() -> Any:
    from groupaudit.pipeline.fanout import FanOutDeps

    settings = load_settings()
    return FanOutDeps(store=store(settings), sqs=client("sqs"), queue_url=settings.audit_queue_url, clock=now)
