"""Every route is authenticated (``groupaudit.pipeline.api``, docs/API.md) before anything else
is told: the middleware below checks and records the signature of each request it lets through.
The one exception is ``PUBLIC_ROUTES``: the announced report link, whose token is its credential
(``groupaudit.api.routes_report_link``)."""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any, cast

from groupaudit.pipeline import api

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
    from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

SignedParts = tuple[str | None, str, str, bytes, dict[str, str]]

# (method, path) of the routes that carry no signature: the report link checks its own token.
PUBLIC_ROUTES = (("GET", re.compile(r"^/reports/link/[^/]+$")),)


def public(event: BaseProxyEvent) -> bool:
    """The request is for a route of ``PUBLIC_ROUTES``."""
    request = http_event(event)
    return any(
        request.http_method == method and pattern.fullmatch(request.raw_path) is not None
        for method, pattern in PUBLIC_ROUTES
    )


def signed_parts(event: APIGatewayProxyEventV2) -> SignedParts:
    """(tenant header, method, path with query string, raw body, headers) as the client sent them."""
    headers = dict(event.headers)
    query = event.raw_query_string
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode()
    tenant = {key.lower(): value for key, value in headers.items()}.get(api.TENANT_HEADER.lower())
    return tenant, event.http_method, event.raw_path + (f"?{query}" if query else ""), body, headers


def http_event(event: BaseProxyEvent) -> APIGatewayProxyEventV2:
    """A router's ``current_event`` as what it is: the app is an ``APIGatewayHttpResolver``
    (HTTP API, payload format 2.0), whose events are ``APIGatewayProxyEventV2``."""
    return cast("APIGatewayProxyEventV2", event)


def raw_body(event: BaseProxyEvent) -> bytes:
    """The body as signed (what the default idempotency key of an audit is the hash of)."""
    return signed_parts(http_event(event))[3]


def authenticated(resolver: APIGatewayHttpResolver, next_middleware: Any) -> Response:
    """The middleware of every route: the caller's dependencies and verified tenant in the
    resolver's context (``caller``), or ``Unauthorized``. A public route goes on unsigned, with
    nothing in the context (it has no caller)."""
    from groupaudit.pipeline import runtime

    if public(resolver.current_event):
        return next_middleware(resolver)
    deps = runtime.api_deps()
    resolver.append_context(deps=deps, tenant=api.authenticate(deps, *signed_parts(resolver.current_event)))
    return next_middleware(resolver)


def check_only(event: BaseProxyEvent) -> None:
    """The signature check without recording it (for a request refused before the middleware
    ran, which is not carried out); ``Unauthorized`` when it fails."""
    from groupaudit.pipeline import runtime

    api.check_signature(runtime.api_deps(), *signed_parts(http_event(event)))


def caller(context: dict[str, Any]) -> tuple[api.ApiDeps, str]:
    """(dependencies, verified tenant) that ``authenticated`` put in the resolver's context."""
    return context["deps"], context["tenant"]
