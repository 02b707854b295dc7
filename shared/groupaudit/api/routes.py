"""The API's routes: each maps its validated request onto one operation of
``groupaudit.pipeline.api`` (docs/API.md is the client's view, docs/openapi.json the description)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.metrics import MetricUnit

from groupaudit.api import auth
from groupaudit.api.errors import answer, documented
from groupaudit.pipeline import api
from groupaudit.pipeline.telemetry import logger, metrics
from groupaudit.wire import GroupRegistration

router = Router()


@router.post(
    "/audits",
    summary="Queue an on-demand audit of one group or of every enabled group",
    responses=answer(HTTPStatus.ACCEPTED, api.AuditAccepted, documented(HTTPStatus.NOT_FOUND)),
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
    deps, tenant = auth.caller(router.context)
    key = api.idempotency_key(idempotency_key, auth.raw_body(router.current_event))
    audit_id, created = api.request_audit(deps, tenant, request, key)
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
        body=accepted.model_dump(mode="json"),  # type: ignore[arg-type]  # the JSON of the documented model
    )


@router.get(
    "/audits/<audit_id>",
    summary="An audit's status and counts, and each group's run",
    responses=answer(HTTPStatus.OK, api.AuditStatus, documented(HTTPStatus.NOT_FOUND)),
)
def get_audit(audit_id: str) -> api.AuditStatus:
    deps, tenant = auth.caller(router.context)
    return api.audit_status(deps, tenant, audit_id)


@router.get(
    "/groups/<group_id>/findings",
    summary="A page of a group's findings",
    responses=answer(
        HTTPStatus.OK, api.FindingsPage, documented(HTTPStatus.NOT_FOUND, HTTPStatus.BAD_REQUEST)
    ),
)
def list_findings(
    group_id: str,
    status: Annotated[Literal["open", "resolved", "all"], Query(description="which findings")] = "open",
    limit: Annotated[int, Query(ge=1, le=api.MAX_PAGE, description="page size")] = api.DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> api.FindingsPage:
    deps, tenant = auth.caller(router.context)
    return api.findings_page(deps, tenant, group_id, status, limit, cursor)


@router.post(
    "/groups",
    summary="Register a group, or replace its registration",
    responses=answer(
        HTTPStatus.CREATED,
        GroupRegistration,
        answer(HTTPStatus.OK, GroupRegistration, documented(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)),
    ),
)
def register_group(registration: Annotated[GroupRegistration, Body()]) -> Response[GroupRegistration]:
    deps, tenant = auth.caller(router.context)
    stored, created = api.register_group(deps, tenant, registration)
    logger.info(
        "group registered", tenant_id=tenant, group_id=registration.group_id, new_registration=created
    )
    return Response(
        status_code=HTTPStatus.CREATED if created else HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=stored.model_dump(mode="json"),  # type: ignore[arg-type]  # the JSON of the documented model
    )


@router.get(
    "/groups",
    summary="The tenant's registered groups",
    responses=answer(HTTPStatus.OK, api.GroupList, documented()),
)
def list_groups() -> api.GroupList:
    deps, tenant = auth.caller(router.context)
    return api.list_groups(deps, tenant)


@router.delete(
    "/groups/<group_id>",
    summary="Remove a group's registration (its findings stay until they expire)",
    responses={
        int(HTTPStatus.NO_CONTENT): {"description": "removed", "content": {}},
        **documented(HTTPStatus.NOT_FOUND),
    },
)
def deregister_group(group_id: str) -> Response[None]:
    deps, tenant = auth.caller(router.context)
    api.deregister_group(deps, tenant, group_id)
    logger.info("group deregistered", tenant_id=tenant, group_id=group_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)
