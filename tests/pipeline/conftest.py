"""Pipeline fixtures: moto in-process, with the table, queues and buckets built from template.yaml.

The functions run with the template's environment and log at its POWERTOOLS_LOG_LEVEL
(``kit.function_environment``; as deployed: a log call that fails only when it is emitted fails
here too) and may call loopback peers, as in the local stack; the tests of the
deployed network policy take ``deployed_network``.
"""

from __future__ import annotations

import logging
import sys

import boto3
import pytest
from moto import mock_aws

from groupaudit import netguard
from groupaudit.local.api_server import SERVICE, logging_at
from groupaudit.local.resources import create_resources
from groupaudit.local.seed import seed_tenant
from groupaudit.local.stack import TEMPLATE
from groupaudit.pipeline import runtime
from groupaudit.settings import load_settings
from kit import TENANT, function_environment


@pytest.fixture
def aws(monkeypatch):
    """Moto in-process with the template's resources; the functions' environment the template's
    (``kit.function_environment``), their log level too."""
    environment = function_environment()
    level = environment["POWERTOOLS_LOG_LEVEL"]
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for handler in logging.getLogger(SERVICE).handlers:  # to this test's stdout, not a former one's
        if isinstance(handler, logging.StreamHandler):
            monkeypatch.setattr(handler, "stream", sys.stdout)
    with mock_aws(), logging_at(level), runtime.local_peers_allowed():
        runtime.reset()
        resources = create_resources(boto3.Session(region_name="us-east-1"), TEMPLATE)
        for key, value in resources.items():
            monkeypatch.setenv(key, value)
        yield resources
    runtime.reset()


@pytest.fixture
def deployed_network(monkeypatch):
    """The functions' network as deployed: public https only, no loopback peers."""
    monkeypatch.setattr(runtime, "_network", [netguard.PUBLIC])
    return netguard.PUBLIC


@pytest.fixture
def settings(aws):
    return load_settings()


@pytest.fixture
def store(settings):
    return runtime.store(settings)


@pytest.fixture
def sqs(aws):
    return runtime.client("sqs")


@pytest.fixture
def s3(aws):
    return runtime.client("s3")


@pytest.fixture
def seeded(settings, store, s3):
    return seed_tenant(
        TENANT,
        s3_client=s3,
        store=store,
        snapshot_bucket=settings.snapshot_bucket,
        backup_bucket=settings.backup_bucket,
    )
