"""Invoke the real Lambda handlers in-process, the way their event sources would."""

from __future__ import annotations

import hashlib
import importlib.util
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

FUNCTIONS = Path(__file__).resolve().parents[3] / "functions"


@dataclass
class LambdaContext:
    """What Powertools reads from the Lambda context object."""

    function_name: str
    memory_limit_in_mb: int = 1024
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "local"
    log_stream_name: str = "local"
    timeout_ms: int = 300_000
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self.timeout_ms - (time.monotonic() - self.started) * 1000))


def load_handler(name: str, functions_dir: Path = FUNCTIONS) -> Callable[[dict, Any], Any]:
    """``functions/<name>/handler.py``'s ``handler``, imported under a unique module name."""
    module = _load(name, functions_dir)
    return module.handler


_MODULES: dict[tuple[str, Path], ModuleType] = {}


def _load(name: str, functions_dir: Path) -> ModuleType:
    key = (name, functions_dir)
    if key not in _MODULES:
        path = functions_dir / name / "handler.py"
        spec = importlib.util.spec_from_file_location(f"groupaudit_functions.{name}.handler", path)
        if spec is None or spec.loader is None:
            raise FileNotFoundError(path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _MODULES[key] = module
    return _MODULES[key]


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """An SQS event-source batch from messages as ReceiveMessage returns them."""
    records = []
    for message in messages:
        attributes = message.get("Attributes", {})
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {
                    "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
                    "SentTimestamp": attributes.get("SentTimestamp", "0"),
                    "SenderId": attributes.get("SenderId", "local"),
                    "ApproximateFirstReceiveTimestamp": attributes.get(
                        "ApproximateFirstReceiveTimestamp", "0"
                    ),
                },
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": records}


def drain(
    sqs: Any,
    queue_url: str,
    handler: Callable[[dict, Any], Any],
    function_name: str,
    *,
    batch_size: int = 10,
    max_batches: int = 10_000,
) -> dict[str, int]:
    """Feed a queue to a handler until it is empty, as the event-source mapping would.

    Records the handler reports as failed are made visible again at once (a real queue waits
    for the visibility timeout) and come back until the queue's redrive policy moves them
    to the DLQ.
    """
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    handled = failed = 0
    for _ in range(max_batches):
        answer = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=batch_size, AttributeNames=["All"], WaitTimeSeconds=0
        )
        messages = answer.get("Messages", [])
        if not messages:
            break
        response = handler(sqs_event(messages, queue_arn), LambdaContext(function_name)) or {}
        failures = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        for message in messages:
            if message["MessageId"] in failures:
                failed += 1
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                handled += 1
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return {"handled": handled, "failed": failed}
