"""Fixtures of the fault tests: moto in-process with the template's resources, the sample
tenant seeded."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from groupaudit.local.resources import create_resources
from groupaudit.local.seed import seed_tenant
from groupaudit.local.stack import LOCAL_ENV, TEMPLATE
from groupaudit.pipeline import runtime
from groupaudit.settings import load_settings
from kit import TENANT


@pytest.fixture
def aws(monkeypatch):
    for key, value in LOCAL_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(), runtime.local_peers_allowed():
        runtime.reset()
        resources = create_resources(boto3.Session(region_name="us-east-1"), TEMPLATE)
        for key, value in resources.items():
            monkeypatch.setenv(key, value)
        yield resources
    runtime.reset()


@pytest.fixture
def settings(aws):
    return load_settings()


@pytest.fixture
def seeded(settings):
    return seed_tenant(
        TENANT,
        s3_client=runtime.client("s3"),
        store=runtime.store(settings),
        snapshot_bucket=settings.snapshot_bucket,
        backup_bucket=settings.backup_bucket,
    )
