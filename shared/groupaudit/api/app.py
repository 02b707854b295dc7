"""The API function's resolver: Powertools' HTTP API resolver with request validation, the OpenAPI
description (``make schemas`` writes docs/openapi.json from it), the signed-request middleware,
the error mapping and the routes."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

from groupaudit.api import (
    auth,
    errors,
    routes,
    routes_report,
    routes_report_link,
    routes_supervision,
    routes_tenant,
)
from groupaudit.pipeline import api
from groupaudit.pipeline.telemetry import logger, metrics

__all__ = ["app", "logger", "metrics"]

app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=api.json_body)
app.configure_openapi(
    title="groupaudit API",
    version="1.0.0",
    description="On-demand audits, audit status, findings and the group registry of a tenant. "
    "Every request is signed: see docs/API.md.",
    security_schemes={
        "tenant": APIKey(name=api.TENANT_HEADER, in_=APIKeyIn.header, description="the tenant id"),
        "timestamp": APIKey(name=api.TIMESTAMP_HEADER, in_=APIKeyIn.header, description="unix seconds"),
        "signature": APIKey(
            name=api.SIGNATURE_HEADER,
            in_=APIKeyIn.header,
            description="sha256=<hex HMAC-SHA256(tenant secret, "
            '"{timestamp}\\n{METHOD}\\n{path?query}\\n{body}")>',
        ),
    },
    security=[{"tenant": [], "timestamp": [], "signature": []}],
)
app.use(middlewares=[auth.authenticated])
app.include_router(errors.router)
app.include_router(routes.router)
app.include_router(routes_supervision.router)
app.include_router(routes_report.router)
app.include_router(routes_report_link.router)
app.include_router(routes_tenant.router)
