"""The tenant's own settings over the API: its supervision contact, the robot that gets every
new red-line finding (``groupaudit.pipeline.supervision_contact``, docs/API.md "Tenant
settings"). Signed and tenant-bound like every route: the setting is kept under the verified
tenant, so another tenant's is never read nor replaced."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from groupaudit.api import auth
from groupaudit.api.errors import answer, documented
from groupaudit.pipeline import supervision_contact
from groupaudit.pipeline.supervision_contact import SupervisionContact
from groupaudit.pipeline.telemetry import logger

router = Router()


@router.put(
    "/tenant/supervision",
    summary="Set the tenant's supervision contact (the robot red-line findings are reported to)",
    responses=answer(
        HTTPStatus.CREATED, SupervisionContact, answer(HTTPStatus.OK, SupervisionContact, documented())
    ),
)
def set_supervision_contact(contact: Annotated[SupervisionContact, Body()]) -> Response[SupervisionContact]:
    deps, tenant = auth.caller(router.context)
    stored, created = supervision_contact.set_contact(deps, tenant, auth.raw_body(router.current_event))
    logger.info("supervision contact set", tenant_id=tenant, robot=stored.type, new_contact=created)
    return Response(
        status_code=HTTPStatus.CREATED if created else HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=stored.model_dump(mode="json"),  # type: ignore[arg-type]  # the JSON of the documented model
    )


@router.get(
    "/tenant/supervision",
    summary="The tenant's supervision contact",
    responses=answer(HTTPStatus.OK, SupervisionContact, documented(HTTPStatus.NOT_FOUND)),
)
def get_supervision_contact() -> SupervisionContact:
    deps, tenant = auth.caller(router.context)
    return supervision_contact.contact_of(deps, tenant)


@router.delete(
    "/tenant/supervision",
    summary="Remove the tenant's supervision contact (red lines are then reported to no one)",
    responses={
        int(HTTPStatus.NO_CONTENT): {"description": "removed", "content": {}},
        **documented(HTTPStatus.NOT_FOUND),
    },
)
def remove_supervision_contact() -> Response[None]:
    deps, tenant = auth.caller(router.context)
    supervision_contact.remove_contact(deps, tenant)
    logger.info("supervision contact removed", tenant_id=tenant)
    return Response(status_code=HTTPStatus.NO_CONTENT)
