"""Shared test helpers: repository paths; invoking handlers, scheduling runs, reading queues;
keeping log records."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from groupaudit.local.invoke import LambdaContext, load_handler

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
TENANT = EVENTS / "sample-tenant"
SCHEDULED = json.loads((ROOT / "events" / "scheduled.json").read_text(encoding="utf-8"))


def function_environment() -> dict[str, str]:
    """The environment the functions run with in tests: the template's Globals, its literal
    values and its log level (``POWERTOOLS_LOG_LEVEL`` through the ``LogLevel`` default; the
    resources' names are set by ``create_resources``), over the local stack's credentials and
    switches (``LOCAL_ENV``: no traces or metrics leave the process)."""
    from groupaudit.local.api_server import template_log_level
    from groupaudit.local.resources import load_template
    from groupaudit.local.stack import LOCAL_ENV, TEMPLATE

    variables = load_template(TEMPLATE)["Globals"]["Function"]["Environment"]["Variables"]
    literal = {key: str(value) for key, value in variables.items() if not isinstance(value, dict)}
    return {**LOCAL_ENV, **literal, "POWERTOOLS_LOG_LEVEL": template_log_level()}


def invoke(name: str, event: dict) -> dict:
    return load_handler(name)(event, LambdaContext(name))


def schedule(scheduled_time: str = "2026-11-20T10:00:00Z") -> dict:
    return invoke("scheduler", {**SCHEDULED, "scheduled_time": scheduled_time})


def receive_all(sqs, queue_url: str) -> list[dict]:
    """Every message now visible on the queue (they stay invisible until deleted or released)."""
    out: list[dict] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", []
        )
        if not batch:
            return out
        out.extend(batch)


class LogTap(logging.Handler):
    """A log handler that keeps every record it is handed, in ``records``."""

    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
