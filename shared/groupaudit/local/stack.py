"""moto's server on 127.0.0.1 with the template's resources: the local AWS of the main job.

``with local_stack() as stack:`` starts the server on a free port, empties moto of what an
earlier stack of the process left, points boto3 at it through the environment, creates the
table, queues and buckets from template.yaml and, on the way out (failure included), stops the
server and restores the environment. Inside it the functions may call loopback peers
(``runtime.local_peers_allowed()``), which deployed functions never do.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "template.yaml"

# Local runs: quiet logs, no metrics or traces leaving the process.
LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "groupaudit",
    "POWERTOOLS_METRICS_NAMESPACE": "GroupAudit",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "SECRETS_PREFIX": "groupaudit/",
}


@dataclass
class LocalStack:
    endpoint: str
    env: dict[str, str]

    def client(self, service: str) -> Any:
        from groupaudit.pipeline import runtime

        return runtime.client(service)


@contextmanager
def patched_environ(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def one_request_at_a_time() -> Iterator[None]:
    """moto answers one request at a time. DynamoDB applies each conditional write atomically;
    moto, called from two threads at once (two concurrent invocations), may check both
    conditions before either write lands, which DynamoDB never does."""
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    lock = threading.RLock()
    saved = [(cls, cls.__call__) for cls in (BotocoreStubber, DomainDispatcherApplication)]

    def locked(call: Callable[..., Any]) -> Callable[..., Any]:
        def serialized(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return call(*args, **kwargs)

        return serialized

    for cls, call in saved:
        cls.__call__ = locked(call)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for cls, call in saved:
            cls.__call__ = call  # type: ignore[method-assign]


def reset_moto(endpoint: str) -> None:
    """Forget every resource of an earlier stack: moto keeps its state per process, not per
    server, so a second stack in one process (the demo's month after its single audit) would
    find the first one's table items, secrets and objects (moto's own reset endpoint)."""
    from urllib.request import Request, urlopen

    with urlopen(Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30) as answer:
        answer.read()


@contextmanager
def local_stack(template: Path = TEMPLATE, log_level: str = "WARNING") -> Iterator[LocalStack]:
    import boto3
    from moto.server import ThreadedMotoServer

    from groupaudit.local.resources import create_resources
    from groupaudit.pipeline import runtime

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    # DynamoDB applies an UpdateItem (and a transaction) atomically; moto's server answers
    # requests in threads and writes an item's attributes one by one, so a reader (GET /audits
    # while the worker records a run) could see a run item without its group_id. The local
    # stack's moto answers one request at a time, as DynamoDB's atomicity looks from outside.
    with one_request_at_a_time():
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            reset_moto(endpoint)
            base = {**LOCAL_ENV, "AWS_ENDPOINT_URL": endpoint, "POWERTOOLS_LOG_LEVEL": log_level}
            with patched_environ(base):
                runtime.reset()
                resources = create_resources(boto3.Session(region_name="us-east-1"), template)
                with patched_environ(resources), runtime.local_peers_allowed():
                    yield LocalStack(endpoint=endpoint, env={**base, **resources})
        finally:
            runtime.reset()
            server.stop()
