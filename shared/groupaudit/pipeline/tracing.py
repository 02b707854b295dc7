"""Tracing without paying for it at import.

Creating a Powertools ``Tracer`` loads the X-Ray SDK, which loads botocore: ~0.4 s, more than
``import boto3`` itself. ``lazily_traced`` creates the Tracer (which patches boto3/botocore)
on the first invocation instead, before any AWS client is built, so every invocation is still
traced and every AWS call is still a subsegment; only the module import gets cheaper.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

Handler = Callable[[Any, Any], Any]


def lazily_traced(handler: Handler) -> Handler:
    traced: Handler | None = None

    @functools.wraps(handler)
    def invoke(event: Any, context: Any) -> Any:
        nonlocal traced
        if traced is None:
            from aws_lambda_powertools import Tracer

            traced = Tracer().capture_lambda_handler(handler)
        return traced(event, context)

    return invoke
