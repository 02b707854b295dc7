"""Local resources are built from template.yaml: same table, queues and buckets as the stack."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from groupaudit.local.resources import bucket_name, create_resources, load_template
from kit import ROOT

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeNameType

TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials, so nothing can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def session(aws_env: None) -> Iterator[boto3.Session]:
    with mock_aws():
        yield boto3.Session(region_name=REGION)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def queue_attributes(session: boto3.Session, url: str) -> dict[QueueAttributeNameType, str]:
    return session.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def test_returns_the_environment_of_the_pipeline_doc(session):
    # GIVEN an empty account
    # WHEN the template's resources are created
    env = create_resources(session, TEMPLATE)
    # THEN the functions' resource variables name them
    sqs = session.client("sqs")
    assert env == {
        "TABLE_NAME": "AuditTable",
        "AUDIT_QUEUE_URL": sqs.get_queue_url(QueueName="AuditQueue")["QueueUrl"],
        "NOTICE_QUEUE_URL": sqs.get_queue_url(QueueName="NoticeQueue")["QueueUrl"],
        "SNAPSHOT_BUCKET": "groupaudit-snapshotbucket",
        "BACKUP_BUCKET": "groupaudit-backupbucket",
        "REPORT_BUCKET": "groupaudit-reportbucket",
    }


def test_table_has_the_template_keys_gsi_billing_ttl_pitr_and_sse(session, template):
    # GIVEN the template's table definition
    declared = template["Resources"]["AuditTable"]["Properties"]
    # WHEN the resources are created
    env = create_resources(session, TEMPLATE)
    dynamodb = session.client("dynamodb")
    table = dynamodb.describe_table(TableName=env["TABLE_NAME"])["Table"]
    # THEN keys, attribute types, the GSI and the billing mode are exactly the template's
    assert table["KeySchema"] == declared["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(declared["AttributeDefinitions"], key=str)
    assert [
        {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"], "Projection": index["Projection"]}
        for index in table["GlobalSecondaryIndexes"]
    ] == declared["GlobalSecondaryIndexes"]
    assert table["BillingModeSummary"]["BillingMode"] == declared["BillingMode"] == "PAY_PER_REQUEST"
    # AND TTL is on the template's attribute, PITR and encryption are on
    ttl = dynamodb.describe_time_to_live(TableName="AuditTable")["TimeToLiveDescription"]
    assert ttl == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": declared["TimeToLiveSpecification"]["AttributeName"],
    }
    backups = dynamodb.describe_continuous_backups(TableName="AuditTable")["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert table["SSEDescription"]["Status"] == "ENABLED"


def test_queues_redrive_to_the_created_dead_letter_queue_after_their_receives(session, template):
    # WHEN the resources are created
    env = create_resources(session, TEMPLATE)
    sqs = session.client("sqs")
    for queue, dead_letter_queue, env_var, receives in (
        ("AuditQueue", "AuditDLQ", "AUDIT_QUEUE_URL", 5),
        ("NoticeQueue", "NoticeDLQ", "NOTICE_QUEUE_URL", 3),
    ):
        attributes = queue_attributes(session, env[env_var])
        dlq_url = sqs.get_queue_url(QueueName=dead_letter_queue)["QueueUrl"]
        dlq_arn = queue_attributes(session, dlq_url)["QueueArn"]
        # THEN the redrive policy names the DLQ created alongside, after the template's receives
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == dlq_arn
        assert int(redrive["maxReceiveCount"]) == receives
        # AND the template's attributes are applied
        declared = template["Resources"][queue]["Properties"]
        assert attributes["VisibilityTimeout"] == str(declared["VisibilityTimeout"])
        assert attributes["MessageRetentionPeriod"] == str(declared["MessageRetentionPeriod"])
        assert attributes["SqsManagedSseEnabled"] == "true"
    # AND the schedule's DLQ exists too
    assert sqs.get_queue_url(QueueName="ScheduleDLQ")["QueueUrl"].endswith("/ScheduleDLQ")


def test_buckets_are_versioned_encrypted_and_private(session):
    # WHEN the resources are created
    env = create_resources(session, TEMPLATE)
    s3 = session.client("s3")
    names = [env["SNAPSHOT_BUCKET"], env["BACKUP_BUCKET"], env["REPORT_BUCKET"]]
    # THEN the three buckets exist
    assert sorted(bucket["Name"] for bucket in s3.list_buckets()["Buckets"]) == sorted(names)
    for name in names:
        # AND each is versioned, encrypted with SSE-S3, blocks public access and ignores ACLs
        assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
        (rule,) = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }
        assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"] == {
            "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
        }


def test_calling_twice_keeps_the_same_resources_and_their_data(session):
    # GIVEN created resources holding an item, a message and an object
    env = create_resources(session, TEMPLATE)
    session.client("dynamodb").put_item(
        TableName="AuditTable", Item={"PK": {"S": "TENANTS"}, "SK": {"S": "TENANT#t"}}
    )
    session.client("sqs").send_message(QueueUrl=env["AUDIT_QUEUE_URL"], MessageBody="{}")
    session.client("s3").put_object(Bucket=env["SNAPSHOT_BUCKET"], Key="snapshots/t/g.json", Body=b"{}")
    # WHEN created again
    again = create_resources(session, TEMPLATE)
    # THEN nothing fails, the same names come back and nothing was replaced
    assert again == env
    assert session.client("dynamodb").list_tables()["TableNames"] == ["AuditTable"]
    assert len(session.client("sqs").list_queues()["QueueUrls"]) == 5
    assert session.client("dynamodb").scan(TableName="AuditTable")["Count"] == 1
    assert queue_attributes(session, env["AUDIT_QUEUE_URL"])["ApproximateNumberOfMessages"] == "1"
    body = session.client("s3").get_object(Bucket=env["SNAPSHOT_BUCKET"], Key="snapshots/t/g.json")["Body"]
    assert body.read() == b"{}"


def test_the_prefix_names_the_buckets(session):
    # WHEN created with another prefix
    env = create_resources(session, TEMPLATE, prefix="ga-dev")
    # THEN the buckets carry it; tables and queues keep their logical ids
    assert (env["SNAPSHOT_BUCKET"], env["BACKUP_BUCKET"], env["REPORT_BUCKET"]) == (
        "ga-dev-snapshotbucket",
        "ga-dev-backupbucket",
        "ga-dev-reportbucket",
    )
    assert env["TABLE_NAME"] == "AuditTable"


def test_a_prefix_that_makes_an_invalid_bucket_name_is_refused():
    # GIVEN prefixes S3 would refuse (uppercase, underscore, too long)
    for prefix in ("GroupAudit", "group_audit", "g" * 60):
        # THEN the bucket name is refused before any call is made
        with pytest.raises(ValueError, match="not a valid S3 bucket name"):
            bucket_name(prefix, "SnapshotBucket")


def test_moto_server_on_loopback_gets_the_same_resources(aws_env):
    # GIVEN moto's server on a free loopback port and a session in another region
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        session = boto3.Session(region_name="eu-west-1")
        # WHEN the resources are created over the wire
        env = create_resources(session, TEMPLATE, prefix="ga-wire", endpoint_url=endpoint)
        # THEN they are there, in that region
        s3 = session.client("s3", endpoint_url=endpoint)
        assert s3.get_bucket_location(Bucket=env["BACKUP_BUCKET"])["LocationConstraint"] == "eu-west-1"
        dynamodb = session.client("dynamodb", endpoint_url=endpoint)
        assert dynamodb.describe_table(TableName=env["TABLE_NAME"])["Table"]["TableStatus"] == "ACTIVE"
        redrive = json.loads(
            session.client("sqs", endpoint_url=endpoint).get_queue_attributes(
                QueueUrl=env["NOTICE_QUEUE_URL"], AttributeNames=["RedrivePolicy"]
            )["Attributes"]["RedrivePolicy"]
        )
        assert redrive["deadLetterTargetArn"].endswith(":eu-west-1:123456789012:NoticeDLQ")
    finally:
        server.stop()


def test_the_report_link_key_is_generated_once_and_then_kept(session, template):
    # GIVEN the template's generated secret, the report link key
    key = template["Resources"]["ReportLinkKey"]["Properties"]
    # WHEN the resources are created
    create_resources(session, TEMPLATE)
    secrets = session.client("secretsmanager")
    first = secrets.get_secret_value(SecretId=key["Name"])["SecretString"]
    # THEN it holds a random value of the template's length, letters and digits
    assert len(first) == key["GenerateSecretString"]["PasswordLength"] and first.isalnum()
    # AND created again, the value is kept (a new one would end every link made with it)
    create_resources(session, TEMPLATE)
    assert secrets.get_secret_value(SecretId=key["Name"])["SecretString"] == first
