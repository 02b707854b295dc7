"""template.yaml lints clean (cfn-lint, sam validate --lint), declares what docs/PIPELINE.md promises,
and grants each function exactly the AWS calls its code makes (docs/DEPLOY.md)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from awscalls import CallGraph, shipped_sources
from groupaudit.local.resources import RESOURCE_ENV_VARS, load_template
from kit import ROOT

TEMPLATE = ROOT / "template.yaml"
VENV_BIN = Path(sys.executable).parent
FUNCTIONS = {
    "SchedulerFunction": "functions/scheduler/",
    "AuditWorkerFunction": "functions/audit_worker/",
    "NotifierFunction": "functions/notifier/",
    "ApiFunction": "functions/api/",
    "ReporterFunction": "functions/reporter/",
}
SQS_CONSUMERS = {"AuditWorkerFunction": "AuditQueue", "NotifierFunction": "NoticeQueue"}
DEAD_LETTER_QUEUES = {"AuditQueue": "AuditDLQ", "NoticeQueue": "NoticeDLQ"}
BUCKETS = ("SnapshotBucket", "BackupBucket", "ReportBucket")
SECRETS_ARN = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:groupaudit/*"
SAM_MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def function_setting(template: dict[str, Any], function: str, key: str) -> Any:
    """A function property as deployed: its own value, else the Globals one."""
    properties = template["Resources"][function]["Properties"]
    return properties.get(key, template["Globals"]["Function"].get(key))


def parameter_default(template: dict[str, Any], value: Any) -> Any:
    assert set(value) == {"Ref"}, value
    return template["Parameters"][value["Ref"]]["Default"]


def sam_translated(monkeypatch: pytest.MonkeyPatch, template: dict[str, Any]) -> dict[str, Any]:
    """The plain CloudFormation that SAM deploys (policy templates expanded into statements)."""
    from samtranslator.translator.transform import transform

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    document = json.loads(json.dumps(template))
    for resource in document["Resources"].values():
        for key in ("CodeUri", "ContentUri"):  # the translator wants S3 URIs, as after `sam package`
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = "s3://bucket/key"

    class NoManagedPolicyLookups:
        def load(self) -> dict[str, str]:
            return {}

    return transform(document, {}, NoManagedPolicyLookups())


def lint_environment() -> dict[str, str]:
    return {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "SAM_CLI_TELEMETRY": "0",
    }


# ----------------------------------------------------------------------------- linters


def test_cfn_lint_finds_nothing():
    # GIVEN the template and the cfn-lint installed in this venv (cfn-lint 1.x has no
    # `python -m cfnlint`: its console script sits next to the interpreter)
    # WHEN cfn-lint checks it
    result = subprocess.run(
        [str(VENV_BIN / "cfn-lint"), str(TEMPLATE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # THEN it exits 0 with no findings
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_sam_validate_with_lint_accepts_the_template():
    # GIVEN the template, the venv's SAM CLI, a region and dummy credentials (no account needed)
    # WHEN `sam validate --lint` checks it
    result = subprocess.run(
        [str(VENV_BIN / "sam"), "validate", "--lint", "--template-file", str(TEMPLATE)],
        cwd=ROOT,
        env=lint_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # THEN it exits 0 and calls it valid
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


# ----------------------------------------------------------------------------- functions


def test_functions_have_their_code_folder_handler_runtime_layer_and_tracing(template):
    # GIVEN the four functions of docs/PIPELINE.md and the Makefile that `sam build` runs
    makefile = (ROOT / "Makefile").read_text()
    for function, code_uri in FUNCTIONS.items():
        # THEN each runs handler.handler from its own folder on python3.13 arm64, with the
        # layer, traced
        assert function_setting(template, function, "CodeUri") == code_uri
        assert (ROOT / code_uri / "handler.py").is_file()
        assert function_setting(template, function, "Handler") == "handler.handler"
        assert function_setting(template, function, "Runtime") == "python3.13"
        assert function_setting(template, function, "Architectures") == ["arm64"]
        assert function_setting(template, function, "Layers") == [{"Ref": "GroupAuditLayer"}]
        assert function_setting(template, function, "Tracing") == "Active"
        # AND is built by the Makefile's target of its name (its handler.py alone)
        assert template["Resources"][function]["Metadata"] == {"BuildMethod": "makefile", "ContextPath": "./"}
        assert f"build-{function}" in makefile
    # AND the layer is for the same runtime and architecture, built by its Makefile target
    layer = template["Resources"]["GroupAuditLayer"]
    assert layer["Properties"]["ContentUri"] == "shared/"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64", "ContextPath": "./"}
    assert "\nbuild-GroupAuditLayer:\n" in makefile


def test_the_worker_has_the_most_memory_and_five_minutes(template):
    # GIVEN each function's memory and timeout
    memory = {function: function_setting(template, function, "MemorySize") for function in FUNCTIONS}
    # THEN the audit worker has 3008 MB and 300 s, more memory than any other function
    assert memory["AuditWorkerFunction"] == 3008
    assert function_setting(template, "AuditWorkerFunction", "Timeout") == 300
    assert max(memory, key=memory.__getitem__) == "AuditWorkerFunction"
    # AND the API answers within the HTTP API's 30 s integration limit
    assert function_setting(template, "ApiFunction", "Timeout") < 30


def test_every_function_gets_the_environment_of_the_pipeline_doc(template):
    # GIVEN the environment shared by every function (Globals)
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    # THEN the resource variables name the template's resources
    assert {name: variables[name] for name in RESOURCE_ENV_VARS} == {
        "TABLE_NAME": {"Ref": "AuditTable"},
        "AUDIT_QUEUE_URL": {"Ref": "AuditQueue"},
        "NOTICE_QUEUE_URL": {"Ref": "NoticeQueue"},
        "SNAPSHOT_BUCKET": {"Ref": "SnapshotBucket"},
        "BACKUP_BUCKET": {"Ref": "BackupBucket"},
        "REPORT_BUCKET": {"Ref": "ReportBucket"},
    }
    # AND the service settings are there too
    assert variables["SECRETS_PREFIX"] == "groupaudit/"
    assert variables["POWERTOOLS_SERVICE_NAME"] == "groupaudit"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "GroupAudit"
    # AND Powertools' Logger level is the LogLevel parameter (INFO), under its own name only
    assert parameter_default(template, variables["POWERTOOLS_LOG_LEVEL"]) == "INFO"
    assert "LOG_LEVEL" not in variables


def test_every_function_logs_to_its_own_group_with_a_retention(template):
    # GIVEN the functions and their logging configuration
    log_groups = set()
    for function in FUNCTIONS:
        reference = template["Resources"][function]["Properties"]["LoggingConfig"]["LogGroup"]
        log_group = template["Resources"][reference["Ref"]]
        # THEN each writes to a log group of the stack whose retention is the parameter (30 days)
        assert log_group["Type"] == "AWS::Logs::LogGroup"
        assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
        log_groups.add(reference["Ref"])
    assert len(log_groups) == len(FUNCTIONS)
    assert template["Parameters"]["LogRetentionInDays"]["Default"] == 30


# ----------------------------------------------------------------------------- queues


def test_work_queues_redrive_to_their_dead_letter_queue_after_a_few_receives(template):
    # GIVEN the audit and notice queues
    receives = {"AuditQueue": 5, "NoticeQueue": 3}
    for queue, dead_letter_queue in DEAD_LETTER_QUEUES.items():
        redrive = template["Resources"][queue]["Properties"]["RedrivePolicy"]
        # THEN each sends a message to its own DLQ after its receives (the audit queue allows two
        # more: a record an invocation had no time for is given back, and that counts)
        assert redrive == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dead_letter_queue, "Arn"]},
            "maxReceiveCount": receives[queue],
        }
        assert template["Resources"][dead_letter_queue]["Type"] == "AWS::SQS::Queue"


def test_every_queue_is_encrypted_and_dead_letter_queues_keep_messages_for_14_days(template):
    # GIVEN every queue of the template
    queues = resources_of_type(template, "AWS::SQS::Queue")
    assert set(queues) == {"AuditQueue", "AuditDLQ", "NoticeQueue", "NoticeDLQ", "ScheduleDLQ"}
    for logical_id, queue in queues.items():
        # THEN SQS-managed server-side encryption is on
        assert queue["Properties"]["SqsManagedSseEnabled"] is True, logical_id
    for dead_letter_queue in ("AuditDLQ", "NoticeDLQ", "ScheduleDLQ"):
        assert queues[dead_letter_queue]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_queue_visibility_is_at_least_six_times_the_consumer_timeout(template):
    # GIVEN each SQS-triggered function and the queue it consumes
    for function, queue in SQS_CONSUMERS.items():
        timeout = function_setting(template, function, "Timeout")
        visibility = template["Resources"][queue]["Properties"]["VisibilityTimeout"]
        # THEN a message stays hidden for 6 function timeouts (AWS's guidance for event sources)
        assert visibility >= 6 * timeout, (queue, visibility, timeout)


def test_sqs_event_sources_report_batch_item_failures_in_small_batches(template):
    # GIVEN the worker's and the notifier's SQS events
    for function, queue in SQS_CONSUMERS.items():
        events = template["Resources"][function]["Properties"]["Events"]
        sqs_events = [event["Properties"] for event in events.values() if event["Type"] == "SQS"]
        # THEN each reads its queue in small batches and reports only the failed records back
        assert len(sqs_events) == 1
        (event,) = sqs_events
        assert event["Queue"] == {"Fn::GetAtt": [queue, "Arn"]}
        assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert 1 <= event["BatchSize"] <= 10


# ----------------------------------------------------------------------------- table and buckets


def test_table_has_the_single_table_keys_gsi1_ttl_pitr_and_sse(template):
    # GIVEN the audit table
    table = template["Resources"]["AuditTable"]["Properties"]
    # THEN it is the on-demand single table of docs/PIPELINE.md
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert sorted((a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]) == [
        ("GSI1PK", "S"),
        ("GSI1SK", "S"),
        ("PK", "S"),
        ("SK", "S"),
    ]
    assert table["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "GSI1",
            "KeySchema": [
                {"AttributeName": "GSI1PK", "KeyType": "HASH"},
                {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    # AND expired items go away, it can be restored to any second of 35 days, it is encrypted
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}
    # AND deletion protection is a parameter, on by default
    assert table["DeletionProtectionEnabled"] == {"Fn::If": ["IsTableDeletionProtected", True, False]}
    assert template["Parameters"]["TableDeletionProtection"]["Default"] == "true"


def test_every_bucket_is_private_encrypted_versioned_and_refuses_plain_http(template):
    # GIVEN the buckets and the bucket policies
    buckets = resources_of_type(template, "AWS::S3::Bucket")
    assert set(buckets) == set(BUCKETS)
    policies = {
        policy["Properties"]["Bucket"]["Ref"]: policy["Properties"]["PolicyDocument"]
        for policy in resources_of_type(template, "AWS::S3::BucketPolicy").values()
    }
    for logical_id, bucket in buckets.items():
        properties = bucket["Properties"]
        # THEN public access is blocked in all four ways and ACLs are off
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        # AND objects are encrypted and versioned
        (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
        # AND the bucket policy denies every request that is not TLS
        (statement,) = policies[logical_id]["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert statement["Resource"] == [
            {"Fn::GetAtt": [logical_id, "Arn"]},
            {"Fn::Sub": f"${{{logical_id}.Arn}}/*"},
        ]


# ----------------------------------------------------------------------------- schedule and API


def test_schedule_fires_daily_at_18_in_shanghai_for_working_days_with_retries_and_a_dlq(template):
    # GIVEN the audit schedule
    schedule = template["Resources"]["AuditSchedule"]
    assert schedule["Type"] == "AWS::Scheduler::Schedule"
    properties = schedule["Properties"]
    # THEN it fires at 18:00 every day, on time, in Asia/Shanghai by default (the function
    # skips days that are not Chinese working days: a cron cannot know holidays or 调休)
    assert properties["ScheduleExpression"] == "cron(0 18 * * ? *)"
    assert parameter_default(template, properties["ScheduleExpressionTimezone"]) == "Asia/Shanghai"
    assert properties["FlexibleTimeWindow"] == {"Mode": "OFF"}
    # AND it invokes the scheduler function for every tenant, on working days, with the
    # scheduled time that makes a retried invocation idempotent
    target = properties["Target"]
    assert target["Arn"] == {"Fn::GetAtt": ["SchedulerFunction", "Arn"]}
    assert json.loads(target["Input"]) == {
        "source": "schedule",
        "tenant_id": "all",
        "workdays_only": True,
        "scheduled_time": "<aws.scheduler.scheduled-time>",
    }
    # AND retries, then dead-letters to ScheduleDLQ
    assert 1 <= target["RetryPolicy"]["MaximumRetryAttempts"] <= 185
    assert 60 <= target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 86400
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ScheduleDLQ", "Arn"]}}
    # AND its role, assumable by EventBridge Scheduler only, may do exactly that
    role = template["Resources"][target["RoleArn"]["Fn::GetAtt"][0]]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    granted = {
        (action, json.dumps(statement["Resource"], sort_keys=True))
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in statement["Action"]
    }
    function_arn = {"Fn::GetAtt": ["SchedulerFunction", "Arn"]}
    assert granted == {
        ("lambda:InvokeFunction", json.dumps([function_arn, {"Fn::Sub": "${SchedulerFunction.Arn}:*"}])),
        ("sqs:SendMessage", json.dumps({"Fn::GetAtt": ["ScheduleDLQ", "Arn"]}, sort_keys=True)),
    }


def test_the_report_schedule_fires_daily_at_09_in_shanghai_and_may_only_invoke_the_reporter(template):
    # GIVEN the report schedule
    properties = template["Resources"]["ReportSchedule"]["Properties"]
    # THEN it fires at 09:00 every day in Asia/Shanghai (the reporter picks each tenant's first
    # working day of the month on its own calendar), for every tenant, with its scheduled time
    assert properties["ScheduleExpression"] == "cron(0 9 * * ? *)"
    assert parameter_default(template, properties["ScheduleExpressionTimezone"]) == "Asia/Shanghai"
    target = properties["Target"]
    assert target["Arn"] == {"Fn::GetAtt": ["ReporterFunction", "Arn"]}
    assert json.loads(target["Input"])["tenant_id"] == "all"
    assert json.loads(target["Input"])["scheduled_time"] == "<aws.scheduler.scheduled-time>"
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ScheduleDLQ", "Arn"]}}
    # AND its role may invoke the reporter and dead-letter, nothing else
    role = template["Resources"][target["RoleArn"]["Fn::GetAtt"][0]]["Properties"]
    granted = {
        (action, json.dumps(statement["Resource"], sort_keys=True))
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in statement["Action"]
    }
    function_arn = {"Fn::GetAtt": ["ReporterFunction", "Arn"]}
    assert granted == {
        ("lambda:InvokeFunction", json.dumps([function_arn, {"Fn::Sub": "${ReporterFunction.Arn}:*"}])),
        ("sqs:SendMessage", json.dumps({"Fn::GetAtt": ["ScheduleDLQ", "Arn"]}, sort_keys=True)),
    }


def api_routes() -> set[tuple[str, str]]:
    """(method, path) of every route the API function's resolver registers, its ``<param>``
    path parameters written as the HTTP API's ``{param}``."""
    import re

    from groupaudit.api.app import app

    registered = [*app._static_routes, *app._dynamic_routes]
    return {(route.method, re.sub(r"<(\w+)>", r"{\1}", route.path)) for route in registered}


def template_routes(template: dict[str, Any]) -> set[tuple[str, str]]:
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"].values()
    return {(event["Properties"]["Method"], event["Properties"]["Path"]) for event in events}


def test_http_api_routes_reach_the_api_function(template):
    # GIVEN the API function's events
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"].values()
    # THEN every route of the pipeline is on the HTTP API AuditApi
    assert template["Resources"]["AuditApi"]["Type"] == "AWS::Serverless::HttpApi"
    assert all(event["Type"] == "HttpApi" for event in events)
    assert all(event["Properties"]["ApiId"] == {"Ref": "AuditApi"} for event in events)
    # AND no route is declared twice
    assert len(list(events)) == len(template_routes(template))


def test_every_route_the_api_serves_has_its_event_and_no_event_lacks_a_route(template):
    # GIVEN the routes the API function's resolver registers (read from the app, so a new
    # route without its event fails here: a deployed stack would answer it 404)
    served = api_routes()
    assert ("POST", "/reports") in served and ("GET", "/reports/link/{token}") in served
    # WHEN they are compared with the HttpApi events of the template
    declared = template_routes(template)
    # THEN each has its event, and each event a route
    assert sorted(served - declared) == [], "add an HttpApi event to ApiFunction for each"
    assert sorted(declared - served) == [], "these events reach no route of the app"


def test_only_the_report_link_is_unsigned_and_it_is_throttled_harder(template):
    from groupaudit.api import auth

    # GIVEN the routes the signed-request middleware lets through unsigned
    unsigned = {
        (method, path)
        for method, path in api_routes()
        for public_method, pattern in auth.PUBLIC_ROUTES
        if method == public_method and pattern.fullmatch(path.replace("{token}", "t0ken"))
    }
    # THEN it is the report link alone
    assert unsigned == {("GET", "/reports/link/{token}")}
    # AND that route allows fewer requests a second than the API's default
    settings = template["Resources"]["AuditApi"]["Properties"]
    default, link = settings["DefaultRouteSettings"], settings["RouteSettings"]["GET /reports/link/{token}"]
    assert link["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
    assert link["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]


# ----------------------------------------------------------------------------- alarms and outputs


def test_alarms_fire_on_any_dead_lettered_message_and_any_function_error(template):
    # GIVEN the alarms
    alarms = [alarm["Properties"] for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values()]
    watched = {
        (alarm["Namespace"], alarm["MetricName"], json.dumps(alarm["Dimensions"][0]["Value"]))
        for alarm in alarms
        if alarm["ComparisonOperator"] == "GreaterThanThreshold" and alarm["Threshold"] == 0
    }
    # THEN each DLQ's visible messages and each function's errors are watched from the first one
    expected_queues = {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", json.dumps({"Fn::GetAtt": [queue, "QueueName"]}))
        for queue in ("AuditDLQ", "NoticeDLQ", "ScheduleDLQ")
    }
    expected_functions = {("AWS/Lambda", "Errors", json.dumps({"Ref": function})) for function in FUNCTIONS}
    # AND the refused notices and failed runs, which are recorded and never reach a DLQ
    expected_outcomes = {
        ("GroupAudit", metric, json.dumps("groupaudit")) for metric in ("Notice_failed", "Audit_failed")
    }
    assert watched == expected_queues | expected_functions | expected_outcomes


def test_outcome_alarms_watch_the_metrics_the_handlers_emit(template):
    # GIVEN the namespace and service the functions' Powertools Metrics use
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    for name, metric in (("NoticeFailedAlarm", "Notice_failed"), ("AuditFailedAlarm", "Audit_failed")):
        properties = alarms[name]["Properties"]
        # THEN the alarm reads exactly that metric (a dimension mismatch would never fire)
        assert properties["Namespace"] == variables["POWERTOOLS_METRICS_NAMESPACE"]
        assert properties["Dimensions"] == [
            {"Name": "service", "Value": variables["POWERTOOLS_SERVICE_NAME"]}
        ]
        assert properties["MetricName"] == metric
        assert properties["Statistic"] == "Sum"


def test_outputs_name_the_api_url_table_queues_and_buckets(template):
    # GIVEN the stack outputs
    outputs = {name: output["Value"] for name, output in template["Outputs"].items()}
    # THEN a deployer finds every endpoint and resource name there
    assert outputs["ApiUrl"] == {
        "Fn::Sub": "https://${AuditApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
    }
    assert outputs["TableName"] == {"Ref": "AuditTable"}
    for queue in ("AuditQueue", "NoticeQueue", "AuditDLQ", "NoticeDLQ", "ScheduleDLQ"):
        assert outputs[f"{queue}Url"] == {"Ref": queue}
    for bucket in BUCKETS:
        assert outputs[f"{bucket}Name"] == {"Ref": bucket}


# ----------------------------------------------------------------------------- least privilege


def test_no_allow_statement_grants_a_wildcard_action(monkeypatch, template):
    # GIVEN the template as SAM deploys it (policy templates expanded into IAM statements)
    deployed = sam_translated(monkeypatch, template)
    roles = resources_of_type(deployed, "AWS::IAM::Role")
    assert {
        "SchedulerFunctionRole",
        "AuditWorkerFunctionRole",
        "NotifierFunctionRole",
        "ApiFunctionRole",
        "ReporterFunctionRole",
    } <= set(roles)
    statements = [
        statement
        for role in roles.values()
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    actions = [
        action
        for statement in statements
        if statement["Effect"] == "Allow"
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    ]
    # THEN no granted action is "*" or a whole service ("dynamodb:*")
    assert actions
    assert [action for action in actions if action == "*" or action.endswith(":*")] == []
    # AND the only managed policies are SAM's execution, tracing and SQS-poller ones
    managed = {arn for role in roles.values() for arn in role["Properties"].get("ManagedPolicyArns", [])}
    assert managed <= SAM_MANAGED_POLICIES
    # AND secrets are readable only under groupaudit/ (the report link key is there too), and
    # only with GetSecretValue
    secret_statements = [s for s in statements if any(a.startswith("secretsmanager:") for a in s["Action"])]
    assert secret_statements
    assert all(s["Action"] == ["secretsmanager:GetSecretValue"] for s in secret_statements)
    link_key = {"Ref": "ReportLinkKey"}
    assert all(s["Resource"] in ({"Fn::Sub": SECRETS_ARN}, link_key) for s in secret_statements)
    assert deployed["Resources"]["ReportLinkKey"]["Properties"]["Name"].startswith("groupaudit/")


# ----------------------------------------------------------------------------- each function's calls

# The AWS calls each function's code makes, reviewed by reading it (functions/*/handler.py ->
# groupaudit.pipeline -> adapters). test_the_call_table_is_what_the_code_calls reads the same
# from the source (tests/awscalls.py), so a new call or a removed one fails until this table
# and the template's grants follow it.
CODE_CALLS: dict[str, set[tuple[str, str]]] = {
    "SchedulerFunction": {
        ("dynamodb", "query"),  # groups.list_tenants, groups.list_groups
        ("dynamodb", "put_item"),  # runs.create_audit, conditional
        ("dynamodb", "get_item"),  # runs.create_audit: a retried schedule reads the request
        ("dynamodb", "update_item"),  # runs.mark_audit_queued
        ("sqs", "send_message_batch"),  # fanout.send_batches to the audit queue
        ("s3", "get_object"),  # runtime.tenant_calendars, service.tenant_inputs: tenants/{tenant}/
        ("dynamodb", "transact_write_items"),  # LedgerStore: an overdue appeal flagged, and its event
        ("sqs", "send_message"),  # supervision_contact: overdue appeals to the supervision contact
    },
    "AuditWorkerFunction": {
        ("dynamodb", "get_item"),  # runs.run, groups.get_group; tenantpass._run_done
        ("dynamodb", "put_item"),  # runs.finish_run; tenantpass._claim
        ("dynamodb", "update_item"),  # guard.begin_group_audit, runs.finish_run; tenantpass.after_run
        ("dynamodb", "query"),  # findings.stored_findings; tenantpass.memberships
        ("dynamodb", "batch_write_item"),  # tenantpass.record_membership (Table.put_items)
        ("dynamodb", "transact_write_items"),  # findings.sync_findings
        ("s3", "get_object"),  # snapshots, tenant inputs, pull states, drops; unchecksummed backups
        ("s3", "head_object"),  # s3.s3_backup_index: a backup's SHA-256 checksum
        ("s3", "list_objects_v2"),  # connectors.base.S3Drops: a group's dropped records
        ("s3", "put_object"),  # pull states (pulls/), reports
        ("sqs", "send_message"),  # worker._queue_notice to the notice queue
        ("sqs", "change_message_visibility"),  # the handler gives back a record it has no time for
        ("secretsmanager", "get_secret_value"),  # platform app credentials (runtime.secret)
    },
    "NotifierFunction": {
        ("dynamodb", "get_item"),  # notices.claim_notice, notices.notice, limits.take_send_slot
        ("dynamodb", "put_item"),  # limits.take_send_slot, conditional on the log's version
        ("dynamodb", "update_item"),  # claim, parts, finish_notice, mark_notified, block_sends
        ("secretsmanager", "get_secret_value"),  # robot and webhook keys (runtime.channel_for)
    },
    "ApiFunction": {
        ("dynamodb", "get_item"),  # groups.get_group, runs.audit, runs.run, runs.create_audit
        ("dynamodb", "put_item"),  # limits.remember_signature, runs.create_audit
        ("dynamodb", "update_item"),  # runs.mark_audit_queued
        ("dynamodb", "delete_item"),  # groups.delete_group (DELETE /groups/{id})
        ("dynamodb", "query"),  # groups.list_groups, findings.findings_page
        ("dynamodb", "batch_write_item"),  # groups.put_groups (POST /groups)
        ("sqs", "send_message_batch"),  # fanout.send_batches of an on-demand audit
        ("secretsmanager", "get_secret_value"),  # the tenant's signing secret (runtime.tenant_secret)
        ("dynamodb", "transact_write_items"),  # LedgerStore: an entry's or appeal's change and event
        ("s3", "get_object"),  # supervision.service.tenant_inputs: the tenant's policy and directory
        ("s3", "put_object"),  # report_run: POST /reports stores the month's documents
        ("sqs", "send_message"),  # report_run: the report announced to the supervision contact
    },
    "ReporterFunction": {
        ("dynamodb", "query"),  # groups.list_tenants; ReportStore: rollups, reports; the ledger
        ("dynamodb", "get_item"),  # supervision_contact.get_contact
        ("dynamodb", "update_item"),  # ReportStore.put_report, claim/release_announcement
        ("s3", "get_object"),  # runtime.tenant_calendars, service.tenant_inputs: tenants/{tenant}/
        ("s3", "put_object"),  # report_run: the month's documents under reports/
        ("sqs", "send_message"),  # report_run: the report announced to the supervision contact
        ("secretsmanager", "get_secret_value"),  # report_link.function_key: the link key
    },
}

# The IAM actions a call needs.
OPERATION_ACTIONS: dict[tuple[str, str], set[str]] = {
    ("dynamodb", "get_item"): {"dynamodb:GetItem"},
    ("dynamodb", "put_item"): {"dynamodb:PutItem"},
    ("dynamodb", "update_item"): {"dynamodb:UpdateItem"},
    ("dynamodb", "delete_item"): {"dynamodb:DeleteItem"},
    ("dynamodb", "query"): {"dynamodb:Query"},
    ("dynamodb", "batch_write_item"): {"dynamodb:BatchWriteItem"},
    # IAM authorizes each item of a transaction; the findings' hold a ConditionCheck guard and
    # Updates (test_findings_transactions_hold_only_condition_checks_and_updates)
    ("dynamodb", "transact_write_items"): {"dynamodb:ConditionCheckItem", "dynamodb:UpdateItem"},
    # the code tells a missing object (404) from a refused one: S3 answers 404 for a missing key
    # only to a caller who may list the bucket, 403 otherwise
    ("s3", "get_object"): {"s3:GetObject", "s3:ListBucket"},
    ("s3", "head_object"): {"s3:GetObject", "s3:ListBucket"},
    ("s3", "list_objects_v2"): {"s3:ListBucket"},
    ("s3", "put_object"): {"s3:PutObject"},
    ("sqs", "send_message"): {"sqs:SendMessage"},
    ("sqs", "send_message_batch"): {"sqs:SendMessage"},
    ("sqs", "change_message_visibility"): {"sqs:ChangeMessageVisibility"},
    ("secretsmanager", "get_secret_value"): {"secretsmanager:GetSecretValue"},
}


def _resource(value: Any) -> str:
    """A resource of a statement, as comparable text (CloudFormation's intrinsic functions)."""
    return json.dumps(value, sort_keys=True)


def _arn(logical_id: str) -> str:
    return _resource({"Fn::GetAtt": [logical_id, "Arn"]})


def _objects(bucket: str, prefix: str = "") -> str:
    return _resource({"Fn::Sub": f"${{{bucket}.Arn}}/{prefix}*"})


SECRETS = _resource({"Fn::Sub": SECRETS_ARN})
LINK_KEY = _resource({"Ref": "ReportLinkKey"})
TABLE = _arn("AuditTable")

# What each function's role may do, on what: the actions of its calls, each on the resources
# its code calls them on (no index: no function queries GSI1).
GRANTS: dict[str, set[tuple[str, str]]] = {
    "SchedulerFunction": {
        *((action, TABLE) for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query")),
        ("dynamodb:UpdateItem", TABLE),
        ("sqs:SendMessage", _arn("AuditQueue")),
        ("s3:GetObject", _objects("SnapshotBucket", "tenants/")),
        ("s3:ListBucket", _arn("SnapshotBucket")),
        ("dynamodb:ConditionCheckItem", TABLE),
        ("sqs:SendMessage", _arn("NoticeQueue")),
    },
    "AuditWorkerFunction": {
        *(
            (f"dynamodb:{action}", TABLE)
            for action in ("BatchWriteItem", "ConditionCheckItem", "GetItem", "PutItem", "Query")
        ),
        ("dynamodb:UpdateItem", TABLE),
        ("s3:GetObject", _objects("SnapshotBucket")),
        ("s3:ListBucket", _arn("SnapshotBucket")),
        ("s3:PutObject", _objects("SnapshotBucket", "pulls/")),
        ("s3:GetObject", _objects("BackupBucket")),
        ("s3:ListBucket", _arn("BackupBucket")),
        ("s3:PutObject", _objects("ReportBucket")),
        ("sqs:SendMessage", _arn("NoticeQueue")),
        ("sqs:ChangeMessageVisibility", _arn("AuditQueue")),
        ("secretsmanager:GetSecretValue", SECRETS),
    },
    "NotifierFunction": {
        ("dynamodb:GetItem", TABLE),
        ("dynamodb:PutItem", TABLE),
        ("dynamodb:UpdateItem", TABLE),
        ("secretsmanager:GetSecretValue", SECRETS),
    },
    "ApiFunction": {
        *(
            (f"dynamodb:{action}", TABLE)
            for action in (
                "BatchWriteItem",
                "ConditionCheckItem",
                "DeleteItem",
                "GetItem",
                "PutItem",
                "Query",
                "UpdateItem",
            )
        ),
        ("s3:GetObject", _objects("SnapshotBucket", "tenants/")),
        ("s3:ListBucket", _arn("SnapshotBucket")),
        ("s3:GetObject", _objects("ReportBucket", "reports/")),
        ("s3:PutObject", _objects("ReportBucket", "reports/")),
        ("sqs:SendMessage", _arn("AuditQueue")),
        ("sqs:SendMessage", _arn("NoticeQueue")),
        ("secretsmanager:GetSecretValue", SECRETS),
    },
    "ReporterFunction": {
        *((f"dynamodb:{action}", TABLE) for action in ("GetItem", "Query", "UpdateItem")),
        ("s3:GetObject", _objects("SnapshotBucket", "tenants/")),
        ("s3:ListBucket", _arn("SnapshotBucket")),
        ("s3:PutObject", _objects("ReportBucket", "reports/")),
        ("sqs:SendMessage", _arn("NoticeQueue")),
        ("secretsmanager:GetSecretValue", LINK_KEY),  # the link key alone: no tenant's secret
    },
}
BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
XRAY = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"
SQS_POLLER = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants(role: dict[str, Any]) -> set[tuple[str, str]]:
    """(action, resource as JSON) for every Allow of the role's inline policies."""
    return {
        (action, _resource(resource))
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
        for action in _listed(statement["Action"])
        for resource in _listed(statement["Resource"])
    }


@pytest.fixture(scope="module")
def code() -> CallGraph:
    return CallGraph(shipped_sources(ROOT))


def _handler_module(function: str) -> str:
    return "functions." + FUNCTIONS[function].strip("/").split("/")[-1] + ".handler"


def test_each_function_role_grants_exactly_its_table(monkeypatch, template):
    # GIVEN the roles SAM creates for the functions
    roles = resources_of_type(sam_translated(monkeypatch, template), "AWS::IAM::Role")
    for function, grants in GRANTS.items():
        role = roles[f"{function}Role"]
        # THEN its inline policies allow exactly the table's actions on the table's resources
        assert _grants(role) == grants, function
        # AND its managed policies are SAM's for logs and tracing, and the SQS poller's for
        # the functions an SQS queue invokes
        poller = {SQS_POLLER} if function in SQS_CONSUMERS else set()
        assert set(role["Properties"]["ManagedPolicyArns"]) == {BASIC_EXECUTION, XRAY} | poller, function


def test_the_grants_are_the_actions_of_the_calls():
    # GIVEN each function's calls and the actions they need
    for function, calls in CODE_CALLS.items():
        needed = {action for call in calls for action in OPERATION_ACTIONS[call]}
        # THEN the function is granted those actions and no other
        assert {action for action, _ in GRANTS[function]} == needed, function
    # AND nobody may Scan, and only the API (DELETE /groups/{id}) may delete an item
    granted = {(function, action) for function, grants in GRANTS.items() for action, _ in grants}
    assert not any(action == "dynamodb:Scan" for _, action in granted)
    assert {function for function, action in granted if action == "dynamodb:DeleteItem"} == {"ApiFunction"}
    # AND the backup store is read only; the scheduler reads no secret
    backups = _objects("BackupBucket")
    on_backups = {action for grants in GRANTS.values() for action, on in grants if on == backups}
    assert on_backups == {"s3:GetObject"}
    assert not any(action.startswith("secretsmanager:") for action, _ in GRANTS["SchedulerFunction"])


def test_the_call_table_is_what_the_code_calls(code):
    # GIVEN the code each function runs, read from its handler through the shipped package
    for function, calls in CODE_CALLS.items():
        module = _handler_module(function)
        found = code.calls_from(module)
        # THEN it makes exactly the calls of the reviewed table
        unlisted = {call: code.where(module, call) for call in found - calls}
        assert not unlisted, f"{function} calls {unlisted}: add them to CODE_CALLS, GRANTS, template.yaml"
        assert not calls - found, f"{function} no longer calls {calls - found}: take them out of its grants"
        # AND none queries a secondary index (which would need the table's index/* resource)
        assert code.queries_an_index(module) is False, function


def test_findings_transactions_hold_only_condition_checks_and_updates():
    # GIVEN every dict key of the shipped code that names a TransactWriteItems item kind
    item_kinds = ("ConditionCheck", "Put", "Update", "Delete")
    kinds = set()
    for source in shipped_sources(ROOT).values():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Dict):
                kinds |= {
                    key.value
                    for key in node.keys
                    if isinstance(key, ast.Constant) and key.value in item_kinds
                }
    # THEN only ConditionCheckItem and UpdateItem are needed for the transactions
    assert kinds == {"ConditionCheck", "Update"}


def test_the_call_reader_follows_methods_lazy_imports_and_platform_modules():
    # GIVEN a handler that reaches a store method through a lazy import, and a module named by
    # a string (as the platform sources are), and a method nothing calls
    sources = {
        "functions.f.handler": (
            "def handler(event, context):\n    from groupaudit.run import run\n    return run(event)\n"
        ),
        "groupaudit": "",
        "groupaudit.run": (
            "import importlib\n"
            "from groupaudit.store import Store\n"
            "SOURCES = {'x': 'groupaudit.platform'}\n"
            "def run(event):\n"
            "    deps = Store()\n"
            "    deps.drop(event)\n"
            "    return importlib.import_module(SOURCES['x']).pull()\n"
        ),
        "groupaudit.store": (
            "class Store:\n"
            "    def __init__(self):\n"
            "        self.client = None\n"
            "    def drop(self, key):\n"
            "        self.client.delete_item(TableName='t', Key=key)\n"
            "    def scan_all(self):\n"
            "        return self.client.scan(TableName='t')\n"
        ),
        "groupaudit.platform": (
            "def pull():\n"
            "    from aws_lambda_powertools.utilities.parameters import SecretsProvider\n"
            "    return _client(None).get_paginator('list_objects_v2'), SecretsProvider\n"
            "def _client(c):\n"
            "    return c\n"
        ),
    }
    # WHEN its calls are read
    found = CallGraph(sources).calls_from("functions.f.handler")
    # THEN it sees the method's call, the dynamically imported module's paginator and the
    # library's secret read, and not the call of the method nothing reaches
    assert found == {
        ("dynamodb", "delete_item"),
        ("s3", "list_objects_v2"),
        ("secretsmanager", "get_secret_value"),
    }


def test_worker_knows_the_audit_queue_receive_limit(template):
    # GIVEN the audit queue's redrive policy and the worker's environment
    resources = template["Resources"]
    redrive = resources["AuditQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
    variables = resources["AuditWorkerFunction"]["Properties"]["Environment"]["Variables"]
    # THEN the worker records a failed pull on the very receive after which SQS would give up
    assert int(variables["MAX_RECEIVE_COUNT"]) == int(redrive) == 5
    # AND a worker run without the variable (local runs) assumes the same
    from groupaudit.settings import load_settings

    assert load_settings({"TABLE_NAME": "t"}).max_receive_count == 5


def test_the_reporter_links_reports_through_the_api_with_a_generated_key(template):
    from groupaudit.pipeline import report_link

    # GIVEN the reporter, which announces each report with a link under the API
    variables = template["Resources"]["ReporterFunction"]["Properties"]["Environment"]["Variables"]
    # THEN its API_URL is the stack's ApiUrl output
    assert variables["API_URL"] == template["Outputs"]["ApiUrl"]["Value"]
    # AND the link key is a secret of its own under the functions' prefix, generated at random
    key = template["Resources"]["ReportLinkKey"]
    assert key["Type"] == "AWS::SecretsManager::Secret"
    secrets_prefix = template["Globals"]["Function"]["Environment"]["Variables"]["SECRETS_PREFIX"]
    assert key["Properties"]["Name"] == f"{secrets_prefix}{report_link.LINK_SECRET}"
    assert key["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
