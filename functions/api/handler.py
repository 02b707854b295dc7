"""HTTP API: on-demand audits (signed), audit status, findings, the group registry.

The resolver, its routes, the signed-request middleware and the error mapping are
``groupaudit.api`` (docs/API.md is the client's view).
"""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from groupaudit.api.app import app, logger, metrics
from groupaudit.pipeline.tracing import lazily_traced


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@lazily_traced
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
