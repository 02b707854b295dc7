"""Typed errors of the ledger and appeals (mapped to answers in the API and the CLI)."""

from __future__ import annotations

from datetime import datetime

from groupaudit.errors import GroupAuditError


class SupervisionError(GroupAuditError):
    """A ledger or appeal operation this package refuses; the message is safe to show."""


class UnknownItem(SupervisionError):
    """No such entry, appeal or finding for the tenant (another tenant's are never visible)."""


class StateConflict(SupervisionError):
    """The operation does not apply in the item's state (confirming a waived entry, deciding a
    decided appeal)."""


class NotAllowed(SupervisionError):
    """The named actor may not do this (not the person or their head; not of the supervision
    team; deciding their own case)."""


class AppealRefused(SupervisionError):
    """An appeal filed after its window: refused, with the deadline it missed."""

    def __init__(self, message: str, deadline: datetime) -> None:
        super().__init__(message)
        self.deadline = deadline
