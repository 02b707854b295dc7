"""Supervision fixtures: moto in-process with the template's table, queues and buckets (as in
tests/pipeline), and the sample tenant seeded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from groupaudit.adapters.storage import Storage
from groupaudit.local.api_server import logging_at
from groupaudit.local.resources import create_resources
from groupaudit.local.seed import seed_tenant
from groupaudit.local.stack import TEMPLATE
from groupaudit.pipeline import runtime
from groupaudit.settings import Settings, load_settings
from groupaudit.wire import GroupRegistration
from kit import TENANT, function_environment

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    # the functions' environment and log level: the template's, as in tests/pipeline
    environment = function_environment()
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(), logging_at(environment["POWERTOOLS_LOG_LEVEL"]), runtime.local_peers_allowed():
        runtime.reset()
        resources = create_resources(boto3.Session(region_name="us-east-1"), TEMPLATE)
        for key, value in resources.items():
            monkeypatch.setenv(key, value)
        yield resources
    runtime.reset()


@pytest.fixture
def settings(aws: dict[str, str]) -> Settings:
    return load_settings()


@pytest.fixture
def store(settings: Settings) -> Storage:
    return runtime.store(settings)


@pytest.fixture
def sqs(aws: dict[str, str]) -> SQSClient:
    return runtime.client("sqs")


@pytest.fixture
def seeded(settings: Settings, store: Storage) -> list[GroupRegistration]:
    return seed_tenant(
        TENANT,
        s3_client=runtime.client("s3"),
        store=store,
        snapshot_bucket=settings.snapshot_bucket,
        backup_bucket=settings.backup_bucket,
    )
