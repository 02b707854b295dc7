"""The AWS flags of the store commands, and the one-line errors for what is missing."""

from __future__ import annotations

import json

import boto3
import pytest

from groupaudit.cli import EXIT_INVALID, EXIT_OK, main
from groupaudit.local.resources import create_resources
from groupaudit.local.stack import TEMPLATE
from groupaudit.settings import ConfigError, load_settings

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@pytest.fixture
def moto_server(monkeypatch):
    """moto's server on a free loopback port, the resources made there in eu-west-1."""
    from moto.server import ThreadedMotoServer

    for key in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in FAKE_AWS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        env = create_resources(
            boto3.Session(region_name="eu-west-1"), TEMPLATE, prefix="ga-cli", endpoint_url=endpoint
        )
        monkeypatch.setenv("TABLE_NAME", env["TABLE_NAME"])
        yield endpoint
    finally:
        server.stop()


def test_endpoint_url_and_region_reach_that_table(moto_server, capsys):
    # GIVEN the table on a moto server in eu-west-1, no region in the environment
    flags = ["--endpoint-url", moto_server, "--region", "eu-west-1"]
    # WHEN a group is registered and listed through the flags
    assert main(["groups", "add", "acme", "grp-x", "--platform", "slack", *flags]) == EXIT_OK
    capsys.readouterr()
    assert main(["groups", "list", "acme", "--format", "json", *flags]) == EXIT_OK
    # THEN it is in that table, in that region
    assert [g["group_id"] for g in json.loads(capsys.readouterr().out)] == ["grp-x"]
    client = boto3.client("dynamodb", endpoint_url=moto_server, region_name="eu-west-1")
    keys = {item["SK"]["S"] for item in client.scan(TableName=load_settings().table_name)["Items"]}
    assert "GROUP#grp-x" in keys
    assert main(["findings", "acme", "--format", "json", *flags]) == EXIT_OK
    assert json.loads(capsys.readouterr().out) == []


def test_without_a_region_the_error_says_to_pass_one(moto_server, capsys):
    assert main(["groups", "list", "acme", "--endpoint-url", moto_server]) == EXIT_INVALID
    assert capsys.readouterr().err == (
        "error: no AWS region: pass --region (e.g. --region ap-east-1) or set AWS_REGION\n"
    )


def test_an_unknown_profile_is_named(moto_server, capsys):
    assert main(["findings", "acme", "--profile", "no-such-profile"]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert err.startswith("error: AWS profile 'no-such-profile' is not configured")
    assert err.count("\n") == 1


def test_a_table_not_in_that_region_is_one_line(moto_server, capsys):
    # GIVEN a region without the table (moto's state is shared in-process: check it)
    region = "ap-southeast-2"
    client = boto3.client("dynamodb", endpoint_url=moto_server, region_name=region)
    assert load_settings().table_name not in client.list_tables()["TableNames"]
    # WHEN the registry is listed there
    status = main(["groups", "list", "acme", "--endpoint-url", moto_server, "--region", region])
    # THEN one line says the table is not there and what to check
    assert status == EXIT_INVALID
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is TABLE_NAME the stack's TableName output, in this --region?" in err


def test_groups_list_without_table_name_names_it_and_how_to_set_it(monkeypatch, capsys):
    # GIVEN no TABLE_NAME (the issue: "TABLE_NAME: Field required")
    monkeypatch.delenv("TABLE_NAME", raising=False)
    # WHEN the registry is listed
    assert main(["groups", "list", "acme"]) == EXIT_INVALID
    # THEN one line names the variable and where its value is
    assert capsys.readouterr().err == (
        "error: TABLE_NAME is not set: export TABLE_NAME=… with the stack's TableName output "
        '(aws cloudformation describe-stacks --stack-name STACK --query "Stacks[0].Outputs")\n'
    )


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_queue_url_is_refused_where_it_is_needed_when_missing_or_empty(value):
    # GIVEN settings with a table but no (or an empty) audit queue URL
    environ = {"TABLE_NAME": "t"} if value is None else {"TABLE_NAME": "t", "AUDIT_QUEUE_URL": value}
    settings = load_settings(environ)
    # THEN loading succeeds (not every function needs the queue) but reading it names it
    with pytest.raises(ConfigError, match=r"^AUDIT_QUEUE_URL is not set: .*AuditQueueUrl output"):
        _ = settings.audit_queue_url
    with pytest.raises(ConfigError, match=r"^NOTICE_QUEUE_URL is not set: .*NoticeQueueUrl output"):
        _ = settings.notice_queue_url


def test_set_queue_urls_are_read_as_given():
    settings = load_settings(
        {"TABLE_NAME": "t", "AUDIT_QUEUE_URL": "https://q/a", "NOTICE_QUEUE_URL": "https://q/n"}
    )
    assert (settings.audit_queue_url, settings.notice_queue_url) == ("https://q/a", "https://q/n")


def test_an_empty_table_name_is_missing_and_other_problems_keep_their_message():
    with pytest.raises(ConfigError, match=r"^TABLE_NAME is not set"):
        load_settings({"TABLE_NAME": ""})
    with pytest.raises(ConfigError, match=r"^invalid function configuration: NOTICE_TOP: Input should be"):
        load_settings({"TABLE_NAME": "t", "NOTICE_TOP": "0"})
