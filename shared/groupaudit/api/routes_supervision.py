"""The discipline ledger and appeals over the API (docs/API.md "Ledger and appeals",
docs/SUPERVISION.md): each route maps its validated request onto one operation of
``groupaudit.supervision.service``. Signed and tenant-bound like every route: the keys of every
item hold the verified tenant, so another tenant's entries and appeals are never found (404).

The supervision errors become the API's here, in one place (``_refusal``): an unknown item 404,
an operation the state or the actor does not allow 422, a late appeal 422 with its deadline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from groupaudit.api import auth
from groupaudit.api.errors import answer, documented
from groupaudit.discipline.errors import AppealRefused, NotAllowed, StateConflict, UnknownItem
from groupaudit.pipeline import api
from groupaudit.pipeline.telemetry import logger
from groupaudit.wire import _ID as ID_PATTERN

router = Router()

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_ITEM_ID = re.compile(r"^[0-9a-f]{32}$")
Reason = Annotated[str, Field(min_length=1, max_length=2000, description="why (kept in the history)")]
Actor = Annotated[str, Field(pattern=ID_PATTERN, description="the directory id of who decides")]


# --- wire models -----------------------------------------------------------------------------------


class EntryDecision(BaseModel):
    """Body of ``POST /ledger/{entry_id}/confirm`` and ``/waive``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    actor_id: Actor
    reason: Reason


class AppealRequest(BaseModel):
    """Body of ``POST /appeals``: against a ledger entry, or against a finding."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    appellant_id: str = Field(
        pattern=ID_PATTERN, description="the person concerned, or their department head"
    )
    reason: Reason
    entry_id: str | None = Field(None, pattern=r"^[0-9a-f]{32}$", description="the appealed ledger entry")
    group_id: str | None = Field(
        None, pattern=ID_PATTERN, description="with finding_id: the appealed finding"
    )
    finding_id: str | None = Field(None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one_target(self) -> AppealRequest:
        finding = self.group_id is not None or self.finding_id is not None
        if (self.entry_id is not None) == finding or (finding and not (self.group_id and self.finding_id)):
            raise ValueError("name either entry_id, or group_id and finding_id")
        return self


class AppealDecision(BaseModel):
    """Body of ``POST /appeals/{appeal_id}/decision``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    actor_id: Actor
    outcome: Literal["upheld", "overturned"]
    reason: Reason


class HistoryEvent(BaseModel):
    seq: int = Field(description="1, 2, ... in the order of the changes")
    type: str = Field(
        description="entry: proposed, confirmed, waived, lapsed, reopened, overturned, appeal_filed, "
        "appeal_refused, appeal_upheld; appeal: filed, refused, upheld, overturned, flagged"
    )
    actor: str = Field(description="who: a directory id, or auditor")
    at: str
    reason: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class Sanction(BaseModel):
    time: int | None = Field(None, description="the 1st, 2nd, ... confirmed time in the period")
    action: str = Field(
        description="public_criticism, pay_deduction, severe_warning, termination_proposed, "
        "performance_points, warning"
    )
    text: str
    policy_ref: str
    yuan: int | None = None
    points: int | None = None
    extra_points: list[int] | None = None
    month_pay_withheld: bool | None = None
    counted_entry_ids: list[str] = Field(default_factory=list, description="the confirmed entries counted")


class LedgerEntry(BaseModel):
    entry_id: str
    tenant_id: str
    group_id: str
    finding_id: str
    rule: str
    finding_kind: str | None = None
    severity: str
    subject_id: str = Field(description="the person")
    sanction_kind: Literal["content_violation", "red_line", "manager_reply"]
    occurred_at: str = Field(description="when the violation happened")
    proposed_at: str
    policy_ref: str
    summary: str
    status: Literal["proposed", "confirmed", "waived", "lapsed", "overturned"] = Field(
        description="only confirmed entries count"
    )
    decided_by: str | None = None
    decided_at: str | None = None
    decision_reason: str | None = None
    confirmed_sanction: Sanction | None = Field(
        None, description="what the ladder recommended when confirmed"
    )
    recommended: Sanction = Field(description="what the ladder recommends now, from the confirmed history")
    needs_review: bool = Field(
        description="confirmed, and the ladder now recommends otherwise (an earlier entry was overturned)"
    )
    history: list[HistoryEvent] | None = Field(None, description="every change, oldest first (single entry)")


class LedgerPage(BaseModel):
    month: str | None = None
    person: str | None = None
    entries: list[LedgerEntry]


class AppealView(BaseModel):
    appeal_id: str
    tenant_id: str
    target: Literal["finding", "entry"]
    group_id: str
    finding_id: str
    entry_id: str | None = None
    subject_id: str
    appellant_id: str
    appellant_role: Literal["subject", "head"]
    reason: str
    filed_at: str
    window_deadline: str | None = Field(description="the end of the appeal window; null: it had not started")
    answer_due: str | None = Field(description="when the answer is due; null for a refused appeal")
    status: Literal["filed", "upheld", "overturned", "refused"]
    decided_by: str | None = None
    decided_at: str | None = None
    decision_reason: str | None = None
    flagged_at: str | None = Field(None, description="when it was flagged as unanswered past its deadline")
    history: list[HistoryEvent] | None = None


class AppealList(BaseModel):
    month: str
    appeals: list[AppealView]


# --- helpers -------------------------------------------------------------------------------------


def _detail(loc: tuple[str, ...], msg: str) -> api.ErrorDetail:
    return api.ErrorDetail(loc=list(loc), msg=msg, type="value_error")


@contextmanager
def _refusal(loc: tuple[str, ...] = ("body",)) -> Iterator[None]:
    """The supervision errors as the API's (mapped onto status codes in ``groupaudit.api.errors``)."""
    try:
        yield
    except UnknownItem as exc:
        raise api.NotFound(str(exc)) from exc
    except AppealRefused as exc:
        detail = _detail(("body",), f"the appeal window closed at {exc.deadline.isoformat()}")
        raise api.InvalidRequest(str(exc), [detail]) from exc
    except NotAllowed as exc:
        raise api.InvalidRequest("not allowed", [_detail(loc, str(exc))]) from exc
    except StateConflict as exc:
        raise api.InvalidRequest("not possible now", [_detail(loc, str(exc))]) from exc


def _context() -> tuple[api.ApiDeps, str, Any]:
    """(dependencies, verified tenant, the tenant's ledger) of the request."""
    from groupaudit.adapters.ledger_store import LedgerStore

    deps, tenant = auth.caller(router.context)
    return deps, tenant, LedgerStore.over(deps.store)


def _inputs(deps: api.ApiDeps, tenant: str) -> tuple[Any, Any]:
    """The tenant's directory and policy (the snapshot bucket's ``tenants/{tenant}/``)."""
    from groupaudit.errors import InputError
    from groupaudit.pipeline import runtime
    from groupaudit.supervision.service import tenant_inputs

    try:
        return tenant_inputs(runtime.client("s3"), deps.settings.snapshot_bucket, tenant)
    except InputError as exc:
        problems = [_detail(("tenant",), str(problem)) for problem in exc.problems[:10]]
        raise api.InvalidRequest("the tenant's policy or directory is invalid", problems) from exc


def _item_id(value: str, what: str) -> str:
    if not _ITEM_ID.fullmatch(value):
        raise api.NotFound(f"unknown {what} {value}")
    return value


def _json(model: BaseModel, code: HTTPStatus = HTTPStatus.OK) -> Response:
    return Response(
        status_code=int(code), content_type=content_types.APPLICATION_JSON, body=model.model_dump(mode="json")
    )


def _decide(entry_id: str, decision: str, request: EntryDecision) -> LedgerEntry:
    from groupaudit.supervision import service

    deps, tenant, book = _context()
    _, policies = _inputs(deps, tenant)
    with _refusal(("body", "actor_id")):
        view = service.decide_entry(
            book,
            tenant,
            _item_id(entry_id, "ledger entry"),
            decision,
            request.actor_id,
            request.reason,
            deps.clock(),
            policies,
        )
    logger.info("ledger entry decided", tenant_id=tenant, entry_id=entry_id, decision=decision)
    return LedgerEntry.model_validate(view)


# --- routes --------------------------------------------------------------------------------------


@router.get(
    "/ledger",
    summary="A month's ledger entries (by when the violations happened), or a person's",
    responses=answer(HTTPStatus.OK, LedgerPage, documented()),
)
def list_ledger(
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM")] = None,
    person: Annotated[str | None, Query(pattern=ID_PATTERN, description="a person's directory id")] = None,
) -> LedgerPage:
    from groupaudit.supervision import service

    deps, tenant, book = _context()
    if (month is None) == (person is None):
        raise api.InvalidRequest("invalid query", [_detail(("query", "month"), "give month or person")])
    _, policies = _inputs(deps, tenant)
    entries = service.list_entries(book, tenant, policies, month=month, person=person)
    return LedgerPage(month=month, person=person, entries=[LedgerEntry.model_validate(e) for e in entries])


@router.get(
    "/ledger/<entry_id>",
    summary="A ledger entry, what the ladder recommends now, and its full history",
    responses=answer(HTTPStatus.OK, LedgerEntry, documented(HTTPStatus.NOT_FOUND)),
)
def get_ledger_entry(entry_id: str) -> LedgerEntry:
    from groupaudit.supervision import service

    deps, tenant, book = _context()
    _, policies = _inputs(deps, tenant)
    with _refusal():
        return LedgerEntry.model_validate(
            service.get_entry(book, tenant, _item_id(entry_id, "ledger entry"), policies)
        )


@router.post(
    "/ledger/<entry_id>/confirm",
    summary="A supervisor confirms a proposed entry (with the sanction the ladder recommends)",
    responses=answer(HTTPStatus.OK, LedgerEntry, documented(HTTPStatus.NOT_FOUND)),
)
def confirm_entry(entry_id: str, request: Annotated[EntryDecision, Body()]) -> LedgerEntry:
    return _decide(entry_id, "confirmed", request)


@router.post(
    "/ledger/<entry_id>/waive",
    summary="A supervisor waives a proposed entry (it never counts)",
    responses=answer(HTTPStatus.OK, LedgerEntry, documented(HTTPStatus.NOT_FOUND)),
)
def waive_entry(entry_id: str, request: Annotated[EntryDecision, Body()]) -> LedgerEntry:
    return _decide(entry_id, "waived", request)


@router.post(
    "/appeals",
    summary="Appeal a finding or a ledger entry (the person, or their department head)",
    responses=answer(
        HTTPStatus.CREATED, AppealView, answer(HTTPStatus.OK, AppealView, documented(HTTPStatus.NOT_FOUND))
    ),
)
def file_appeal(request: Annotated[AppealRequest, Body()]) -> Response[AppealView]:
    from groupaudit.supervision import service

    deps, tenant, book = _context()
    directory, policies = _inputs(deps, tenant)
    with _refusal(("body", "appellant_id")):
        view, created = service.file_appeal(
            book,
            tenant,
            appellant=request.appellant_id,
            reason=request.reason,
            now=deps.clock(),
            policies=policies,
            directory=directory,
            entry_id=request.entry_id,
            group_id=request.group_id,
            finding_id=request.finding_id,
        )
    logger.info("appeal filed", tenant_id=tenant, appeal_id=view["appeal_id"], new_appeal=created)
    return _json(AppealView.model_validate(view), HTTPStatus.CREATED if created else HTTPStatus.OK)


@router.get(
    "/appeals",
    summary="A month's appeals (by when they were filed)",
    responses=answer(HTTPStatus.OK, AppealList, documented()),
)
def list_appeals(month: Annotated[str, Query(pattern=MONTH_PATTERN, description="YYYY-MM")]) -> AppealList:
    from groupaudit.supervision import service

    _, tenant, book = _context()
    appeals = service.list_appeals(book, tenant, month)
    return AppealList(month=month, appeals=[AppealView.model_validate(a) for a in appeals])


@router.get(
    "/appeals/<appeal_id>",
    summary="An appeal and its full history",
    responses=answer(HTTPStatus.OK, AppealView, documented(HTTPStatus.NOT_FOUND)),
)
def get_appeal(appeal_id: str) -> AppealView:
    from groupaudit.supervision import service

    _, tenant, book = _context()
    with _refusal():
        return AppealView.model_validate(service.get_appeal(book, tenant, _item_id(appeal_id, "appeal")))


@router.post(
    "/appeals/<appeal_id>/decision",
    summary="The supervision team upholds or overturns an appeal",
    responses=answer(HTTPStatus.OK, AppealView, documented(HTTPStatus.NOT_FOUND)),
)
def decide_appeal(appeal_id: str, request: Annotated[AppealDecision, Body()]) -> AppealView:
    from groupaudit.supervision import service

    deps, tenant, book = _context()
    _, policies = _inputs(deps, tenant)
    with _refusal(("body", "actor_id")):
        view = service.decide_appeal(
            book,
            tenant,
            _item_id(appeal_id, "appeal"),
            request.outcome,
            request.actor_id,
            request.reason,
            deps.clock(),
            policies,
        )
    logger.info("appeal decided", tenant_id=tenant, appeal_id=appeal_id, outcome=request.outcome)
    return AppealView.model_validate(view)
