"""Two local stacks in one process: the second starts as empty as the first (the demo runs its
single audit and then its month, each on a stack of its own)."""

from __future__ import annotations

from groupaudit.local.stack import local_stack
from groupaudit.pipeline import runtime
from groupaudit.settings import load_settings


def test_a_second_stack_in_the_process_finds_nothing_of_the_first():
    # GIVEN a stack that left a secret, a table item and an object behind
    with local_stack():
        settings = load_settings()
        runtime.client("secretsmanager").create_secret(Name="groupaudit/left-behind", SecretString="x")
        runtime.client("s3").put_object(Bucket=settings.snapshot_bucket, Key="left/behind.json", Body=b"{}")
        runtime.client("dynamodb").put_item(
            TableName=settings.table_name, Item={"PK": {"S": "LEFT"}, "SK": {"S": "BEHIND"}}
        )
    # WHEN another stack starts in the same process
    with local_stack():
        settings = load_settings()
        secrets = runtime.client("secretsmanager").list_secrets()["SecretList"]
        objects = runtime.client("s3").list_objects_v2(Bucket=settings.snapshot_bucket).get("KeyCount")
        items = runtime.client("dynamodb").scan(TableName=settings.table_name)["Count"]
        # THEN it holds none of them (its own resources are there, empty)
        assert [s["Name"] for s in secrets if s["Name"] == "groupaudit/left-behind"] == []
        assert (objects, items) == (0, 0)
