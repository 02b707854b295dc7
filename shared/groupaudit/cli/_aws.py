"""``--profile``, ``--region`` and ``--endpoint-url`` for the commands that call AWS, and one-line
errors naming what is missing (a setting, a region, credentials) instead of a traceback."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from groupaudit.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from groupaudit.adapters.storage import Storage


def add_arguments(parser: argparse.ArgumentParser) -> None:
    aws = parser.add_argument_group("AWS (the store is the DynamoDB table TABLE_NAME)")
    aws.add_argument(
        "--profile",
        metavar="NAME",
        help="AWS profile of ~/.aws/config (default: AWS_PROFILE or the default chain) (e.g. --profile prod)",
    )
    aws.add_argument(
        "--region",
        metavar="REGION",
        help="AWS region (default: AWS_REGION or the profile's) (e.g. --region ap-east-1)",
    )
    aws.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="AWS endpoint, e.g. a local moto server (default: AWS_ENDPOINT_URL or AWS's) "
        "(e.g. --endpoint-url http://127.0.0.1:5000)",
    )


def client(args: argparse.Namespace, service: str) -> Any:
    """A client of ``service`` as the flags say; the functions' shared one without any flag."""
    if not (args.profile or args.region or args.endpoint_url):
        from groupaudit.pipeline import runtime

        return runtime.client(service)
    import boto3

    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    return session.client(service, endpoint_url=args.endpoint_url)  # type: ignore[call-overload]


def settings() -> Settings:
    return load_settings()


def store(args: argparse.Namespace) -> Storage:
    """The table (TABLE_NAME) and its aggregates, through the flags' client."""
    from groupaudit.adapters.storage import Storage

    table = settings().table_name
    return Storage(table, client(args, "dynamodb"))


@contextmanager
def errors() -> Iterator[None]:
    """AWS's missing region, profile or credentials as a ConfigError naming the flag to set."""
    import botocore.exceptions as aws

    try:
        yield
    except aws.ProfileNotFound as exc:
        raise ConfigError(
            f"AWS profile {exc.kwargs.get('profile')!r} is not configured "
            "(--profile NAME of ~/.aws/config; `aws configure --profile NAME` adds one)"
        ) from None
    except aws.NoRegionError:
        raise ConfigError(
            "no AWS region: pass --region (e.g. --region ap-east-1) or set AWS_REGION"
        ) from None
    except aws.NoCredentialsError:
        raise ConfigError(
            "no AWS credentials: pass --profile NAME, or set AWS_PROFILE or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY"
        ) from None
    except aws.EndpointConnectionError as exc:
        raise ConfigError(f"cannot reach AWS at {exc.kwargs.get('endpoint_url')} (--endpoint-url)") from None
    except aws.ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ResourceNotFoundException":
            raise ConfigError(
                f"{error.get('Message', 'not found')}: is TABLE_NAME the stack's TableName output, "
                "in this --region?"
            ) from None
        raise
