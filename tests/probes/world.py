"""One moto world for a whole probe module (the pipeline's resources from template.yaml), so
that a battery of many cases pays for building it once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import pytest
from moto import mock_aws

from groupaudit.local.api_server import logging_at
from groupaudit.local.resources import create_resources
from groupaudit.local.stack import TEMPLATE
from groupaudit.pipeline import runtime
from kit import function_environment


@contextmanager
def moto_world() -> Iterator[None]:
    """As the ``aws`` fixture of tests/pipeline, for a module: the functions' environment, the
    template's log level, loopback peers allowed (the local stack's network)."""
    environment = function_environment()
    level = environment["POWERTOOLS_LOG_LEVEL"]
    with pytest.MonkeyPatch.context() as patch:
        for key, value in environment.items():
            patch.setenv(key, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws(), logging_at(level), runtime.local_peers_allowed():
            runtime.reset()
            for key, value in create_resources(boto3.Session(region_name="us-east-1"), TEMPLATE).items():
                patch.setenv(key, value)
            try:
                yield
            finally:
                runtime.reset()
