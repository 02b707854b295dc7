"""What the handlers need, built on first use and kept for the life of the container.

Settings are validated at every invocation; AWS clients are created once (never at import).

Everything built here calls tenant URLs (platform APIs, robots, webhooks) through
``netguard.PUBLIC``: https on port 443 to public addresses only. The loopback peers of local
runs are reached only inside :func:`local_peers_allowed`, which the local stack enters
(``groupaudit.local.stack``); it is a setting of this process, not of the environment, so no
deployed configuration can switch it on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from groupaudit import netguard
from groupaudit.adapters.secrets import secret_missing
from groupaudit.settings import Settings, load_settings

if TYPE_CHECKING:
    from groupaudit.adapters.storage import Storage
    from groupaudit.adapters.storage.limits import Limits

_network: list[netguard.Network] = [netguard.PUBLIC]  # the innermost local_peers_allowed() last


def now() -> datetime:
    return datetime.now(UTC)


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)  # type: ignore[call-overload]  # a service named at run time


def reset() -> None:
    """Forget cached clients (tests switch AWS endpoints between cases)."""
    client.cache_clear()
    _tenant_secrets.clear()


def network() -> netguard.Network:
    """What the functions' outbound calls to tenant URLs may reach."""
    return _network[-1]


@contextmanager
def local_peers_allowed() -> Iterator[None]:
    """Within: the functions may also call loopback peers (``netguard.LOCAL_PEERS``), for the
    local stack, the demo and tests. Never entered by a deployed function."""
    entered = _network
    entered.append(netguard.LOCAL_PEERS)
    try:
        yield
    finally:
        entered.pop()


def store(settings: Settings) -> Storage:
    """The table (TABLE_NAME) and its aggregates, through one retrying client."""
    from groupaudit.adapters.storage import Storage

    return Storage(settings.table_name, client("dynamodb"))


def worker_deps() -> Any:
    from groupaudit.pipeline.worker import WorkerDeps

    settings = load_settings()
    return WorkerDeps(
        settings=settings,
        store=store(settings),
        s3=client("s3"),
        sqs=client("sqs"),
        clock=now,
        secret=lambda name: secret(settings, name),
        network=network(),
        idempotent=True,
    )


def notifier_deps() -> Any:
    from groupaudit.pipeline.notify import NotifierDeps

    settings = load_settings()
    table = store(settings)
    return NotifierDeps(
        notices=table.notices,
        findings=table.findings,
        channel_for=lambda message: channel_for(message, settings, table.limits),
        clock=now,
    )


def channel_for(message: Any, settings: Settings, limits: Limits | None = None) -> Any:
    """The notice's channel; a platform robot is paced through ``limits`` (the send rates shared
    by every notifier) when given."""
    from groupaudit.notifiers.channels import ConsoleChannel, WebhookChannel

    if message.channel.type == "console":
        return ConsoleChannel()
    if message.channel.type in ("dingtalk", "wecom", "feishu", "slack"):
        from groupaudit.notifiers.pacing import Pacer
        from groupaudit.notifiers.robots import POST_ATTEMPTS, robot_for

        name = message.channel.secret_name
        url = str(message.channel.url)
        pacer = Pacer(limits, message.channel.type, url) if limits is not None else None
        key = secret(settings, name) if name else None
        return robot_for(
            message.channel.type, url, key, pacer=pacer, network=network(), attempts=POST_ATTEMPTS
        )
    return WebhookChannel(
        str(message.channel.url), secret(settings, message.channel.secret_name), network=network()
    )


def secret(settings: Settings, name: str) -> bytes:
    """A secret from Secrets Manager (cached five minutes by Powertools Parameters)."""
    value = _secrets_provider(client("secretsmanager")).get(f"{settings.secrets_prefix}{name}", max_age=300)
    return value if isinstance(value, bytes) else str(value).encode()


def fanout_deps() -> Any:
    from groupaudit.pipeline.fanout import FanOutDeps

    settings = load_settings()
    table = store(settings)
    return FanOutDeps(
        groups=table.groups, runs=table.runs, sqs=client("sqs"), queue_url=settings.audit_queue_url, clock=now
    )


def tenant_calendars() -> Callable[[str], Any]:
    """Each tenant's calendar (``defaults.calendar`` of ``tenants/{tenant}/policy.yaml`` over
    the built-in one), for the scheduler's working-day check. A missing file is the built-in
    calendar; an unreadable or invalid one gives None (the Chinese public calendar), logged:
    the audits still run and each records the policy's error."""
    import yaml

    from groupaudit.adapters import s3
    from groupaudit.errors import InputError
    from groupaudit.loading import load_yaml
    from groupaudit.pipeline.telemetry import logger
    from groupaudit.policy import parse_policy

    settings = load_settings()

    def calendar(tenant: str) -> Any:
        key = f"tenants/{tenant}/policy.yaml"
        source = f"s3://{settings.snapshot_bucket}/{key}"
        try:
            data = s3.get_optional_bytes(settings.snapshot_bucket, key, client("s3"))
            policy = parse_policy(load_yaml(data.decode("utf-8"), source) if data else {}, source)
            return policy.tenant_policy().calendar
        except (InputError, yaml.YAMLError, UnicodeDecodeError) as exc:
            logger.warning("tenant policy unreadable: public calendar", tenant_id=tenant, error=str(exc))
            return None

    return calendar


def api_deps() -> Any:
    from groupaudit.pipeline.api import ApiDeps
    from groupaudit.pipeline.fanout import FanOutDeps

    settings = load_settings()
    table = store(settings)
    return ApiDeps(
        store=table,
        fanout=FanOutDeps(
            groups=table.groups,
            runs=table.runs,
            sqs=client("sqs"),
            queue_url=settings.audit_queue_url,
            clock=now,
        ),
        settings=settings,
        clock=now,
        secret_for=lambda tenant: tenant_secret(settings, tenant),
    )


@lru_cache(maxsize=1)
def _secrets_provider(secretsmanager: Any) -> Any:
    """One provider per client, so its cache lives as long as the client (``reset`` drops both)."""
    from aws_lambda_powertools.utilities import parameters

    return parameters.SecretsProvider(boto3_client=secretsmanager)


SECRET_MAX_AGE_S = 300
# Tenants' API secrets by name: (when, by time.monotonic(), the answer expires, the secret or None
# for "no such secret"). A missing secret is cached as long as a found one and answered from the
# same dictionary, so an unknown tenant's request costs what a known one's does.
_tenant_secrets: dict[str, tuple[float, bytes | None]] = {}


def tenant_secret(settings: Settings, tenant: str) -> bytes | None:
    """The tenant's API signing secret, or None when it has none (both answers cached five minutes)."""
    import time

    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    from groupaudit.pipeline.api import tenant_secret_name

    name = tenant_secret_name(settings, tenant)
    cached = _tenant_secrets.get(name)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    provider = _secrets_provider(client("secretsmanager"))
    found: bytes | None
    try:
        value = provider.get(name, max_age=SECRET_MAX_AGE_S)
    except GetParameterError as exc:
        if not secret_missing(exc):  # only "no such secret" is None
            raise
        found = None
    else:
        found = value if isinstance(value, bytes) else str(value).encode()
    if len(_tenant_secrets) >= 10_000:  # bounded: guessed tenant names cannot fill the memory
        _tenant_secrets.clear()
    _tenant_secrets[name] = (time.monotonic() + SECRET_MAX_AGE_S, found)
    return found
