"""The ledger and appeals over the store: what the worker, the API and the command line call.

The domain (``ledger``, ``appeals``) decides; this module reads what it needs from
:class:`~groupaudit.adapters.ledger_store.LedgerStore`, and stores the new state with its event
in one transaction. ``now`` is always an argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from groupaudit.adapters.ledger_store import AppealedFinding, LedgerStore
from groupaudit.contracts import Directory, Finding
from groupaudit.discipline import appeals, ledger
from groupaudit.discipline.appeals import Appeal
from groupaudit.discipline.errors import StateConflict, UnknownItem
from groupaudit.discipline.ledger import Entry, Event
from groupaudit.policy import Policy, PolicySet

if TYPE_CHECKING:
    from groupaudit.adapters.storage.dynamo import Table

MAX_REASON = 2000


def tenant_inputs(s3_client: Any, bucket: str, tenant: str) -> tuple[Directory | None, PolicySet]:
    """The tenant's directory (``tenants/{tenant}/directory.json``, may be absent) and policy
    (``tenants/{tenant}/policy.yaml``, absent: the built-in defaults), as the worker reads them;
    InputError names the object and the problem."""
    import yaml

    from groupaudit.adapters import s3
    from groupaudit.errors import InputError, Problem
    from groupaudit.loading import decode_directory, load_yaml
    from groupaudit.policy import parse_policy

    where = f"s3://{bucket}/tenants/{tenant}"
    raw_directory = s3.get_optional_bytes(bucket, f"tenants/{tenant}/directory.json", s3_client)
    directory = (
        decode_directory(raw_directory, f"{where}/directory.json") if raw_directory is not None else None
    )
    raw_policy = s3.get_optional_bytes(bucket, f"tenants/{tenant}/policy.yaml", s3_client)
    source = f"{where}/policy.yaml"
    try:
        data = load_yaml(raw_policy.decode("utf-8"), source) if raw_policy else {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(source, [Problem("", f"invalid policy file: {exc}")]) from None
    return directory, parse_policy(data, source)


@dataclass
class LedgerResult:
    created: list[str] = field(default_factory=list)
    lapsed: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)


def _month(policy: Policy, moment: datetime) -> str:
    return ledger.period_key(policy.sanctions.period, policy.calendar.zone, moment)


def record_findings(
    store: Table,
    tenant: str,
    group: str,
    findings: Iterable[Finding],
    resolved_ids: Iterable[str],
    policies: PolicySet,
    directory: Directory | None,
    now: datetime,
) -> LedgerResult:
    """The worker's step after storing a group's findings: a proposed entry for each finding of
    a sanctioned kind that has none (idempotent: one entry per finding, however often it is
    audited), a lapsed entry proposed again when its finding is back, and the proposed entries
    of the findings this audit resolved lapse."""
    book = LedgerStore.over(store)
    policy = policies.tenant_policy()
    result = LedgerResult()
    candidates = ledger.entries_for(
        tenant,
        group,
        findings,
        policy.sanctions,
        ledger.managers(directory),
        now,
        ledger.employees(directory),
    )
    stored = book.get_entries(tenant, [entry.entry_id for entry in candidates])
    new = [
        (entry, ledger.proposed_event(entry), _month(policy, entry.occurred_at))
        for entry in candidates
        if entry.entry_id not in stored
    ]
    result.created = book.create_entries(new)
    for entry in stored.values():
        changed = ledger.reopen(entry, now)
        if changed is not None:
            book.change_entry(*changed, _month(policy, entry.occurred_at), entry.version)
            result.reopened.append(entry.entry_id)
    gone = book.get_entries(
        tenant, [ledger.entry_id(tenant, group, finding_id) for finding_id in resolved_ids]
    )
    for entry in gone.values():
        changed = ledger.lapse(entry, now)
        if changed is not None:
            book.change_entry(*changed, _month(policy, entry.occurred_at), entry.version)
            result.lapsed.append(entry.entry_id)
    return result


# --- reading --------------------------------------------------------------------------------------


def _event_view(event: Event) -> dict[str, Any]:
    out = asdict(event)
    out["at"] = event.at.isoformat()
    return out


def entry_view(book: LedgerStore, entry: Entry, policy: Policy, *, history: bool = False) -> dict[str, Any]:
    """An entry as shown: its state, what the ladder recommends now (from the person's confirmed
    history), whether that differs from what was confirmed, and, if asked, every event."""
    people = book.person_entries(entry.tenant_id, entry.subject_id)
    recommendation = ledger.recommend(entry, people, policy.sanctions, policy.calendar.zone)
    view = {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in asdict(entry).items()
    }
    view.pop("version", None)
    view["recommended"] = recommendation.as_dict()
    confirmed = entry.confirmed_sanction
    view["needs_review"] = bool(
        confirmed
        and entry.status == "confirmed"
        and (confirmed.get("action"), confirmed.get("time"))
        != (recommendation.step.action, recommendation.time)
    )
    if history:
        view["history"] = [_event_view(event) for event in book.entry_events(entry.tenant_id, entry.entry_id)]
    return view


def get_entry(book: LedgerStore, tenant: str, entry_id: str, policies: PolicySet) -> dict[str, Any]:
    entry = book.get_entry(tenant, entry_id)
    if entry is None:
        raise UnknownItem(f"unknown ledger entry {entry_id}")
    return entry_view(book, entry, policies.tenant_policy(), history=True)


def list_entries(
    book: LedgerStore,
    tenant: str,
    policies: PolicySet,
    *,
    month: str | None = None,
    person: str | None = None,
) -> list[dict[str, Any]]:
    """A month's entries (YYYY-MM) or a person's, in the order the violations happened."""
    if (month is None) == (person is None):
        raise StateConflict("list the entries of a month or of a person")
    entries = book.month_entries(tenant, month) if month else book.person_entries(tenant, person or "")
    policy = policies.tenant_policy()
    return [entry_view(book, entry, policy) for entry in entries]


# --- supervisor decisions -------------------------------------------------------------------------


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise StateConflict("a reason is required")
    if len(text) > MAX_REASON:
        raise StateConflict(f"the reason is longer than {MAX_REASON} characters")
    return text


def decide_entry(
    book: LedgerStore,
    tenant: str,
    entry_id: str,
    decision: str,
    actor: str,
    reason: str | None,
    now: datetime,
    policies: PolicySet,
) -> dict[str, Any]:
    """Confirm or waive a proposed entry (``confirmed`` / ``waived``), by a supervisor."""
    policy = policies.tenant_policy()
    entry = book.get_entry(tenant, entry_id)
    if entry is None:
        raise UnknownItem(f"unknown ledger entry {entry_id}")
    appeals.check_decider(actor, entry.subject_id, (), policy.sanctions.supervisor_ids)
    people = book.person_entries(tenant, entry.subject_id)
    recommendation = ledger.recommend(entry, people, policy.sanctions, policy.calendar.zone)
    changed, event = ledger.decide(entry, decision, actor, now, _reason(reason), recommendation)
    book.change_entry(changed, event, _month(policy, entry.occurred_at), entry.version)
    return entry_view(book, changed, policy, history=True)


# --- appeals --------------------------------------------------------------------------------------


def _appeal_view(book: LedgerStore, appeal: Appeal, *, history: bool = False) -> dict[str, Any]:
    view = {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in asdict(appeal).items()
    }
    view.pop("version", None)
    if history:
        view["history"] = [
            _event_view(event) for event in book.appeal_events(appeal.tenant_id, appeal.appeal_id)
        ]
    return view


def _notified_at(finding: AppealedFinding) -> datetime | None:
    value = finding.first_notified_at
    return datetime.fromisoformat(value) if value is not None else None


def file_appeal(
    book: LedgerStore,
    tenant: str,
    *,
    appellant: str,
    reason: str | None,
    now: datetime,
    policies: PolicySet,
    directory: Directory | None,
    entry_id: str | None = None,
    group_id: str | None = None,
    finding_id: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """File an appeal against a ledger entry (``entry_id``) or a finding (``group_id`` and
    ``finding_id``): (the appeal, created). Filing the same appeal again returns it. The window
    runs from the notice: a confirmed entry's confirmation, a finding's first notice; before
    either there is nothing to be late for. AppealRefused when late (the refusal is stored)."""
    policy = policies.tenant_policy()
    config = policy.sanctions
    text = _reason(reason)
    entry: Entry | None = None
    if entry_id is not None:
        target = "entry"
        entry = book.get_entry(tenant, entry_id)
        if entry is None:
            raise UnknownItem(f"unknown ledger entry {entry_id}")
        group, finding_key = entry.group_id, entry.finding_id
        subject = entry.subject_id
        notified = entry.decided_at if entry.status == "confirmed" else None
    else:
        target = "finding"
        if not group_id or not finding_id:
            raise StateConflict("an appeal names an entry_id, or a group_id and a finding_id")
        stored = book.find_finding(tenant, group_id, finding_id)
        if stored is None:
            raise UnknownItem(f"unknown finding {finding_id} of group {group_id}")
        group, finding_key, subject = group_id, finding_id, stored.subject_id
        notified = _notified_at(stored)
        entry = book.get_entry(tenant, ledger.entry_id(tenant, group, finding_key))
    existing = book.get_appeal(tenant, appeals.appeal_id(tenant, group, finding_key, target))
    if existing is not None:
        appeals.raise_if_refused(existing, config.appeal_window_workdays)
        if existing.status != "filed":
            raise StateConflict(f"this {target} was appealed and the appeal is {existing.status}")
        return _appeal_view(book, existing, history=True), False
    role = appeals.appellant_role(appellant, subject, directory)
    appeal, event = appeals.file(
        tenant=tenant,
        target=target,
        group_id=group,
        finding_id=finding_key,
        entry_id=entry.entry_id if entry else None,
        subject_id=subject,
        appellant_id=appellant,
        role=role,
        reason=text,
        now=now,
        notified_at=notified,
        window_workdays=config.appeal_window_workdays,
        answer_workdays=config.appeal_answer_workdays,
        calendar=policy.business_calendar,
    )
    extra: list[dict[str, Any]] = []
    if entry is not None:
        noted, entry_event = ledger.note(
            entry, f"appeal_{appeal.status}", appellant, now, event.reason, appeal_id=appeal.appeal_id
        )
        extra = book.entry_items(noted, entry_event, _month(policy, entry.occurred_at), entry.version)
    book.store_appeal(appeal, event, _month(policy, now), None, extra)
    appeals.raise_if_refused(appeal, config.appeal_window_workdays)
    return _appeal_view(book, appeal, history=True), True


def get_appeal(book: LedgerStore, tenant: str, appeal_id: str) -> dict[str, Any]:
    appeal = book.get_appeal(tenant, appeal_id)
    if appeal is None:
        raise UnknownItem(f"unknown appeal {appeal_id}")
    return _appeal_view(book, appeal, history=True)


def list_appeals(book: LedgerStore, tenant: str, month: str) -> list[dict[str, Any]]:
    return [_appeal_view(book, appeal) for appeal in book.month_appeals(tenant, month)]


def decide_appeal(
    book: LedgerStore,
    tenant: str,
    appeal_id: str,
    outcome: str,
    actor: str,
    reason: str | None,
    now: datetime,
    policies: PolicySet,
) -> dict[str, Any]:
    """Uphold or overturn a filed appeal. Overturned: the finding is marked overturned and its
    entry (if any) never counts again, so the person's later entries count from what remains."""
    policy = policies.tenant_policy()
    appeal = book.get_appeal(tenant, appeal_id)
    if appeal is None:
        raise UnknownItem(f"unknown appeal {appeal_id}")
    appeals.check_decider(actor, appeal.subject_id, (appeal.appellant_id,), policy.sanctions.supervisor_ids)
    text = _reason(reason)
    decided, event = appeals.decide(appeal, outcome, actor, now, text)
    extra: list[dict[str, Any]] = []
    entry = book.get_entry(tenant, appeal.entry_id) if appeal.entry_id else None
    if entry is not None:
        if outcome == "overturned" and entry.status != "overturned":
            changed, entry_event = ledger.overturn(entry, actor, now, text, appeal.appeal_id)
        else:
            changed, entry_event = ledger.note(
                entry, f"appeal_{outcome}", actor, now, text, appeal_id=appeal_id
            )
        extra += book.entry_items(changed, entry_event, _month(policy, entry.occurred_at), entry.version)
    if outcome == "overturned":
        stored = book.find_finding(tenant, appeal.group_id, appeal.finding_id)
        if stored is not None:
            extra.append(book.mark_finding_overturned(tenant, appeal.group_id, stored.sk, appeal_id, now))
    book.store_appeal(decided, event, _month(policy, appeal.filed_at), appeal.version, extra)
    return _appeal_view(book, decided, history=True)


def overdue_appeals(
    book: LedgerStore,
    tenant: str,
    now: datetime,
    policies: PolicySet,
    send: Callable[[str, str], bool | None],
    lang: str = "zh",
) -> list[Appeal]:
    """Flag the tenant's appeals unanswered past their answer deadline, once each, after telling
    the supervision contact through ``send(tenant, text)``; a ``send`` that answers False (no
    contact to tell) flags nothing, so they are told once a contact is set."""
    policy = policies.tenant_policy()
    due = [appeal for appeal in book.open_appeals_due_before(tenant, now) if appeals.is_overdue(appeal, now)]
    if not due or send(tenant, appeals.overdue_text(due, lang)) is False:
        return []
    flagged = []
    for appeal in due:
        changed, event = appeals.flag(appeal, now, policy.sanctions.supervision_contact)
        book.store_appeal(changed, event, _month(policy, appeal.filed_at), appeal.version)
        flagged.append(changed)
    return flagged
