"""CLI fixtures: moto in-process with the template's table, queues and buckets."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from groupaudit.local.resources import create_resources
from groupaudit.local.stack import LOCAL_ENV, TEMPLATE
from groupaudit.pipeline import runtime
from groupaudit.settings import load_settings


@pytest.fixture
def aws(monkeypatch):
    """The template's resources in moto, and their names in the environment (as deployed)."""
    for key, value in LOCAL_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        runtime.reset()
        resources = create_resources(boto3.Session(region_name="us-east-1"), TEMPLATE)
        for key, value in resources.items():
            monkeypatch.setenv(key, value)
        yield resources
    runtime.reset()


@pytest.fixture
def store(aws):
    return runtime.store(load_settings())
