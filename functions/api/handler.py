"""HTTP API: on-demand audits (signed), audit status, findings, the group registry.

Every route is authenticated (groupaudit.pipeline.api, docs/API.md) before anything else is
told: a request whose signature fails gets 401 even when its body or query is also invalid.
A body nested deeper than 64 levels is refused before any parser reads it (the resolver's body
deserializer checks first), with 422 once the signature is checked, never a 500.
Typed errors become status codes in one place, ``_STATUS`` below, with the body
``{"error": ..., "details": [...]}``.
"""

import base64
from http import HTTPStatus
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from groupaudit.pipeline import api
from groupaudit.pipeline.models import GroupRegistration
from groupaudit.pipeline.tracing import lazily_traced

logger = Logger()
metrics = Metrics()
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

_STATUS: dict[type[api.ApiError], HTTPStatus] = {
    api.Unauthorized: HTTPStatus.UNAUTHORIZED,
    api.NotFound: HTTPStatus.NOT_FOUND,
    api.InvalidRequest: HTTPStatus.UNPROCESSABLE_ENTITY,
    api.BadRequest: HTTPStatus.BAD_REQUEST,
}


def _errors(*codes: HTTPStatus) -> dict[int, Any]:
    return {
        int(code): {
            "description": code.phrase,
            "content": {content_types.APPLICATION_JSON: {"model": api.ErrorBody}},
        }
        for code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.UNPROCESSABLE_ENTITY, *codes)
    }


def _answer(code: HTTPStatus, model: Any, content: Any) -> dict[int, Any]:
    return {
        int(code): {
            "description": code.phrase,
            "content": {content_types.APPLICATION_JSON: {"model": model}},
        },
        **content,
    }


# --- the signed request ------------------------------------------------------------------------


def _signed_parts() -> tuple[str | None, str, str, bytes, dict[str, str]]:
    """(tenant header, method, path with query string, raw body, headers) as the client sent them."""
    event = app.current_event
    headers = dict(event.headers)
    query = event.raw_query_string
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode()
    tenant = {key.lower(): value for key, value in headers.items()}.get(api.TENANT_HEADER.lower())
    return tenant, event.http_method, event.raw_path + (f"?{query}" if query else ""), body, headers


def _authenticated(resolver: APIGatewayHttpResolver, next_middleware: Any) -> Response:
    from groupaudit.pipeline import runtime

    deps = runtime.api_deps()
    resolver.append_context(deps=deps, tenant=api.authenticate(deps, *_signed_parts()))
    return next_middleware(resolver)


app.use(middlewares=[_authenticated])


def _caller() -> tuple[api.ApiDeps, str]:
    return app.context["deps"], app.context["tenant"]


# --- errors: mapped here, and only here --------------------------------------------------------


def _error_response(code: HTTPStatus, message: str, details: list[api.ErrorDetail]) -> Response:
    body = api.ErrorBody(error=message, details=details).model_dump(mode="json")
    return Response(status_code=int(code), content_type=content_types.APPLICATION_JSON, body=body)


@app.exception_handler(list(_STATUS))
def _refused(exc: api.ApiError) -> Response:
    code = next(status for kind, status in _STATUS.items() if isinstance(exc, kind))
    if code == HTTPStatus.UNAUTHORIZED:
        metrics.add_metric(name="ApiUnauthorized", unit=MetricUnit.Count, value=1)
    log = logger.warning if code == HTTPStatus.UNAUTHORIZED else logger.info
    log("request refused", status=int(code), reason=exc.message, route=app.current_event.route_key)
    return _error_response(code, exc.message, exc.details)


def _signed_or_refused(invalid: api.InvalidRequest) -> Response:
    # Powertools validates before any middleware runs: authenticate first all the same (without
    # recording the signature, as the request is not carried out), so an unsigned request is a 401.
    from groupaudit.pipeline import runtime

    try:
        api.check_signature(runtime.api_deps(), *_signed_parts())
    except api.Unauthorized as refused:
        return _refused(refused)
    return _refused(invalid)


@app.exception_handler(RequestValidationError)
def _invalid(exc: RequestValidationError) -> Response:
    details = api.validation_details(list(exc.errors()))
    return _signed_or_refused(api.InvalidRequest("invalid request", details))


@app.exception_handler(api.BodyTooDeep)
def _too_deep(exc: api.BodyTooDeep) -> Response:
    return _signed_or_refused(exc)


@app.not_found
def _no_route(_: NotFoundError) -> Response:
    return _error_response(HTTPStatus.NOT_FOUND, "no such route", [])


# --- routes ------------------------------------------------------------------------------------


@app.post(
    "/audits",
    summary="Queue an on-demand audit of one group or of every enabled group",
    responses=_answer(HTTPStatus.ACCEPTED, api.AuditAccepted, _errors(HTTPStatus.NOT_FOUND)),
)
def start_audit(
    request: Annotated[api.AuditRequest, Body()],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=api.IDEMPOTENCY_HEADER,
            pattern=api.IDEMPOTENCY_KEY_PATTERN,
            description="the audit's idempotency key; default: the SHA-256 of the body",
        ),
    ] = None,
) -> Response[api.AuditAccepted]:
    deps, tenant = _caller()
    body = _signed_parts()[3]
    audit_id, created = api.request_audit(deps, tenant, body, idempotency_key)
    metrics.add_metric(
        name="AuditRequested" if created else "AuditRequestRepeated", unit=MetricUnit.Count, value=1
    )
    # log keys must not be LogRecord attributes (created, name, msg, ...): logging refuses them
    logger.info(
        "audit requested", tenant_id=tenant, group_id=request.group_id, audit_id=audit_id, new_audit=created
    )
    accepted = api.AuditAccepted(audit_id=audit_id, status_url=f"/audits/{audit_id}")
    return Response(
        status_code=HTTPStatus.ACCEPTED,
        content_type=content_types.APPLICATION_JSON,
        body=accepted.model_dump(mode="json"),
    )


@app.get(
    "/audits/<audit_id>",
    summary="An audit's status and counts, and each group's run",
    responses=_answer(HTTPStatus.OK, api.AuditStatus, _errors(HTTPStatus.NOT_FOUND)),
)
def get_audit(audit_id: str) -> api.AuditStatus:
    deps, tenant = _caller()
    return api.audit_status(deps, tenant, audit_id)


@app.get(
    "/groups/<group_id>/findings",
    summary="A page of a group's findings",
    responses=_answer(HTTPStatus.OK, api.FindingsPage, _errors(HTTPStatus.NOT_FOUND, HTTPStatus.BAD_REQUEST)),
)
def list_findings(
    group_id: str,
    status: Annotated[Literal["open", "resolved", "all"], Query(description="which findings")] = "open",
    limit: Annotated[int, Query(ge=1, le=api.MAX_PAGE, description="page size")] = api.DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> api.FindingsPage:
    deps, tenant = _caller()
    return api.findings_page(deps, tenant, group_id, status, limit, cursor)


@app.post(
    "/groups",
    summary="Register a group, or replace its registration",
    responses=_answer(
        HTTPStatus.CREATED,
        GroupRegistration,
        _answer(HTTPStatus.OK, GroupRegistration, _errors()),
    ),
)
def register_group(registration: Annotated[GroupRegistration, Body()]) -> Response[GroupRegistration]:
    deps, tenant = _caller()
    stored, created = api.register_group(deps, tenant, _signed_parts()[3])
    logger.info(
        "group registered", tenant_id=tenant, group_id=registration.group_id, new_registration=created
    )
    return Response(
        status_code=HTTPStatus.CREATED if created else HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=stored.model_dump(mode="json"),
    )


@app.get(
    "/groups",
    summary="The tenant's registered groups",
    responses=_answer(HTTPStatus.OK, api.GroupList, _errors()),
)
def list_groups() -> api.GroupList:
    deps, tenant = _caller()
    return api.list_groups(deps, tenant)


@app.delete(
    "/groups/<group_id>",
    summary="Remove a group's registration (its findings stay until they expire)",
    responses={
        int(HTTPStatus.NO_CONTENT): {"description": "removed", "content": {}},
        **_errors(HTTPStatus.NOT_FOUND),
    },
)
def deregister_group(group_id: str) -> Response[None]:
    deps, tenant = _caller()
    api.deregister_group(deps, tenant, group_id)
    logger.info("group deregistered", tenant_id=tenant, group_id=group_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@lazily_traced
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
