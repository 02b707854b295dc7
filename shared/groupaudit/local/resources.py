"""The template's stateful resources (table, queues, buckets) on any boto3 endpoint.

template.yaml is the one definition: this module reads it with cfn-lint's CloudFormation-aware
YAML loader (it understands !Ref, !GetAtt, !Sub, ...) and creates what it declares, the same
way on moto in-process (tests), on moto's server on loopback (local runs) or on a real account.

- ``AWS::DynamoDB::Table``: ``TableName`` = the logical id; exactly the template's KeySchema,
  AttributeDefinitions, GlobalSecondaryIndexes and BillingMode, plus its SSE, TTL and PITR.
- ``AWS::SQS::Queue``: ``QueueName`` = the logical id; the template's attributes
  (VisibilityTimeout, MessageRetentionPeriod, SqsManagedSseEnabled, ...) and a RedrivePolicy
  whose ``deadLetterTargetArn`` is the ARN of the dead-letter queue created here.
- ``AWS::S3::Bucket``: ``{prefix}-{logical id lowercased}``; versioning, default encryption,
  the public access block and the ownership controls of the template.
- ``AWS::SecretsManager::Secret`` with ``GenerateSecretString`` (the report link key): its
  ``Name``, a random value of the template's length, made once and then kept.

Not created locally, by design: the template's bucket policies (they deny plain HTTP, which is
what a loopback endpoint speaks), lifecycle rules, and the table's deletion protection (a
stack parameter; a local table must stay disposable).

Every call is idempotent: what exists is kept, and its settings are applied again.
boto3, botocore and cfn-lint are imported where they are needed: they are development
dependencies, not part of the layer's runtime.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from groupaudit.errors import GroupAuditError

if TYPE_CHECKING:
    import boto3

TABLE = "AWS::DynamoDB::Table"
QUEUE = "AWS::SQS::Queue"
BUCKET = "AWS::S3::Bucket"
SECRET = "AWS::SecretsManager::Secret"

# The environment docs/PIPELINE.md promises every function (the resource-backed part of it).
RESOURCE_ENV_VARS = (
    "TABLE_NAME",
    "AUDIT_QUEUE_URL",
    "NOTICE_QUEUE_URL",
    "SNAPSHOT_BUCKET",
    "BACKUP_BUCKET",
    "REPORT_BUCKET",
)

# CloudFormation queue properties that are not queue attributes of the SQS API.
_QUEUE_NON_ATTRIBUTES = frozenset({"QueueName", "Tags"})
# GlobalSecondaryIndexes keys that CreateTable accepts (CloudFormation has a few more).
_GSI_API_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")
# The properties used locally; others (DeletionProtectionEnabled, LifecycleConfiguration, ...) are left alone.
_TABLE_KEYS = (
    "KeySchema",
    "AttributeDefinitions",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "SSESpecification",
    "StreamSpecification",
    "TimeToLiveSpecification",
    "PointInTimeRecoverySpecification",
)
_BUCKET_KEYS = (
    "OwnershipControls",
    "PublicAccessBlockConfiguration",
    "VersioningConfiguration",
    "BucketEncryption",
)
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


class TemplateError(GroupAuditError):
    """template.yaml does not declare what a local run needs, or in a form this module cannot resolve."""


def load_template(path: str | Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template into plain dicts, lists and scalars.

    Short-form intrinsics become their long form: ``!Ref X`` -> ``{"Ref": "X"}``,
    ``!GetAtt X.Arn`` -> ``{"Fn::GetAtt": ["X", "Arn"]}``.
    """
    from cfnlint.decode.cfn_yaml import loads

    path = Path(path)
    return _plain(loads(path.read_text(encoding="utf-8"), str(path)))


def bucket_name(prefix: str, logical_id: str) -> str:
    """The local name of a template bucket: ``{prefix}-{logical id lowercased}``, S3-valid or refused."""
    name = f"{prefix}-{logical_id.lower()}"
    if not _BUCKET_NAME.fullmatch(name) or "--" in name:
        raise ValueError(
            f"bucket name {name!r} is not a valid S3 bucket name "
            "(3-63 characters: lowercase letters, digits, single hyphens)"
        )
    return name


def create_resources(
    session: boto3.Session,
    template_path: str | Path,
    *,
    prefix: str = "groupaudit",
    endpoint_url: str | None = None,
) -> dict[str, str]:
    """Create the template's table, queues and buckets; return the functions' resource environment.

    ``endpoint_url`` points the clients at a local endpoint (moto's server); without it the
    session's own configuration decides (``AWS_ENDPOINT_URL`` works too, or moto in-process).
    Returns the ``Globals.Function.Environment`` variables of the template that reference one
    of these resources, resolved to the created names and URLs: TABLE_NAME, AUDIT_QUEUE_URL,
    NOTICE_QUEUE_URL, SNAPSHOT_BUCKET, BACKUP_BUCKET, REPORT_BUCKET.
    """
    template = load_template(template_path)
    resources = template.get("Resources", {})
    parameters = {name: spec.get("Default") for name, spec in template.get("Parameters", {}).items()}
    refs: dict[str, str] = {}  # logical id -> what !Ref yields (table name, queue URL, bucket name)

    dynamodb = session.client("dynamodb", endpoint_url=endpoint_url)
    for logical_id, props in _resources_of_type(resources, TABLE):
        used = {key: props[key] for key in _TABLE_KEYS if key in props}
        refs[logical_id] = _ensure_table(dynamodb, logical_id, _resolve(used, parameters, {}))

    sqs = session.client("sqs", endpoint_url=endpoint_url)
    arns: dict[str, str] = {}
    for logical_id, props in _queues_dead_letter_first(resources):
        url, arn = _ensure_queue(sqs, logical_id, _resolve(props, parameters, arns))
        refs[logical_id], arns[logical_id] = url, arn

    s3 = session.client("s3", endpoint_url=endpoint_url)
    for logical_id, props in _resources_of_type(resources, BUCKET):
        name = bucket_name(prefix, logical_id)
        used = {key: props[key] for key in _BUCKET_KEYS if key in props}
        _ensure_bucket(s3, name, _resolve(used, parameters, {}))
        refs[logical_id] = name

    secrets = session.client("secretsmanager", endpoint_url=endpoint_url)
    for _, props in _resources_of_type(resources, SECRET):
        if "GenerateSecretString" in props:
            _ensure_secret(secrets, _resolve(props, parameters, {}))

    return _resource_environment(template, refs)


# ------------------------------------------------------------------------- template reading


def _plain(node: Any) -> Any:
    """cfn-lint's node types (dict_node, str_node, ...) as plain Python values."""
    if isinstance(node, Mapping):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _resources_of_type(resources: dict[str, Any], resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in resources.items():
        if resource.get("Type") == resource_type:
            yield logical_id, resource.get("Properties", {})


def _resolve(value: Any, parameters: dict[str, Any], arns: dict[str, str]) -> Any:
    """Resolve the intrinsics a local resource may use: Ref to a parameter, GetAtt of a queue's Arn."""
    if isinstance(value, list):
        return [_resolve(item, parameters, arns) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        name = value["Ref"]
        if name in parameters and parameters[name] is not None:
            return parameters[name]
        raise TemplateError(f"cannot resolve !Ref {name} locally (only parameters with a default)")
    if set(value) == {"Fn::GetAtt"}:
        target, attribute = _get_att(value["Fn::GetAtt"])
        if attribute == "Arn" and target in arns:
            return arns[target]
        raise TemplateError(f"cannot resolve !GetAtt {target}.{attribute} locally (only queue ARNs)")
    intrinsic = next((key for key in value if key.startswith("Fn::")), None)
    if intrinsic is not None:
        raise TemplateError(f"cannot resolve {intrinsic} locally in {json.dumps(value)}")
    return {key: _resolve(item, parameters, arns) for key, item in value.items()}


def _get_att(argument: Any) -> tuple[str, str]:
    if isinstance(argument, str):
        target, _, attribute = argument.partition(".")
        return target, attribute
    return str(argument[0]), str(argument[1])


def _queues_dead_letter_first(resources: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Queues ordered so that every dead-letter queue comes before the queues that redrive to it."""
    pending = dict(_resources_of_type(resources, QUEUE))
    ordered: list[tuple[str, dict[str, Any]]] = []
    while pending:
        ready = [
            logical_id
            for logical_id, props in pending.items()
            if _dead_letter_target(logical_id, props) not in pending
        ]
        if not ready:
            raise TemplateError(f"the redrive policies of {sorted(pending)} form a cycle")
        for logical_id in ready:
            ordered.append((logical_id, pending.pop(logical_id)))
    return ordered


def _dead_letter_target(logical_id: str, props: dict[str, Any]) -> str | None:
    redrive = props.get("RedrivePolicy")
    if redrive is None:
        return None
    if not isinstance(redrive, dict) or "deadLetterTargetArn" not in redrive:
        raise TemplateError(f"{logical_id}: RedrivePolicy must be a mapping with a deadLetterTargetArn")
    target = redrive["deadLetterTargetArn"]
    if isinstance(target, dict) and set(target) == {"Fn::GetAtt"}:
        return _get_att(target["Fn::GetAtt"])[0]
    return None


def _resource_environment(template: dict[str, Any], refs: dict[str, str]) -> dict[str, str]:
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    env = {
        name: refs[value["Ref"]]
        for name, value in variables.items()
        if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in refs
    }
    missing = [name for name in RESOURCE_ENV_VARS if name not in env]
    if missing:
        raise TemplateError(
            f"Globals.Function.Environment.Variables does not map {missing} to a table, queue or bucket"
        )
    return env


# ------------------------------------------------------------------------- DynamoDB


def _ensure_table(client: Any, name: str, props: dict[str, Any]) -> str:
    from botocore.exceptions import ClientError

    try:
        client.describe_table(TableName=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        _create_table(client, name, props)
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})

    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        current = client.describe_time_to_live(TableName=name).get("TimeToLiveDescription", {})
        enabled = current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        if not enabled or current.get("AttributeName") != ttl["AttributeName"]:
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
    pitr = props.get("PointInTimeRecoverySpecification", {})
    if pitr.get("PointInTimeRecoveryEnabled"):
        client.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    return name


def _create_table(client: Any, name: str, props: dict[str, Any]) -> None:
    for required in ("KeySchema", "AttributeDefinitions"):
        if required not in props:
            raise TemplateError(f"table {name} has no {required}")
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if "ProvisionedThroughput" in props:
        request["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = [
            {key: index[key] for key in _GSI_API_KEYS if key in index}
            for index in props["GlobalSecondaryIndexes"]
        ]
    sse = props.get("SSESpecification")
    if sse:
        request["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled"))}
        if "SSEType" in sse:
            request["SSESpecification"]["SSEType"] = sse["SSEType"]
        if "KMSMasterKeyId" in sse:
            request["SSESpecification"]["KMSMasterKeyId"] = sse["KMSMasterKeyId"]
    stream = props.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    client.create_table(**request)


# ------------------------------------------------------------------------- SQS


def _ensure_queue(client: Any, name: str, props: dict[str, Any]) -> tuple[str, str]:
    """Create (or find, with the same attributes) a queue; return its URL and ARN."""
    attributes = {
        key: _queue_attribute(value) for key, value in props.items() if key not in _QUEUE_NON_ATTRIBUTES
    }
    url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _queue_attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


# ------------------------------------------------------------------------- S3


def _ensure_bucket(client: Any, name: str, props: dict[str, Any]) -> None:
    from botocore.exceptions import ClientError

    try:
        client.head_bucket(Bucket=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise
        region = client.meta.region_name
        request: dict[str, Any] = {"Bucket": name}
        if region and region != "us-east-1":
            request["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            client.create_bucket(**request)
        except ClientError as create_exc:
            if create_exc.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
                raise

    ownership = props.get("OwnershipControls")
    if ownership:
        client.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": ownership["Rules"]})
    public_access = props.get("PublicAccessBlockConfiguration")
    if public_access:
        client.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=public_access)
    versioning = props.get("VersioningConfiguration")
    if versioning:
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning["Status"]})
    encryption = props.get("BucketEncryption")
    if encryption:
        client.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [_encryption_rule(rule) for rule in encryption["ServerSideEncryptionConfiguration"]]
            },
        )


def _encryption_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation encryption rule in the S3 API's shape (ServerSideEncryptionByDefault is renamed)."""
    api_rule: dict[str, Any] = {}
    if "ServerSideEncryptionByDefault" in rule:
        api_rule["ApplyServerSideEncryptionByDefault"] = rule["ServerSideEncryptionByDefault"]
    if "BucketKeyEnabled" in rule:
        api_rule["BucketKeyEnabled"] = rule["BucketKeyEnabled"]
    return api_rule


# ------------------------------------------------------------------------- Secrets Manager


def _ensure_secret(client: Any, props: dict[str, Any]) -> None:
    """The generated secret ``Name``: a random value (letters and digits) if it does not exist."""
    import secrets

    from botocore.exceptions import ClientError

    length = int(props["GenerateSecretString"].get("PasswordLength", 32))
    value = "".join(
        secrets.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        for _ in range(length)
    )
    try:
        client.create_secret(Name=props["Name"], SecretString=value)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceExistsException":
            raise
