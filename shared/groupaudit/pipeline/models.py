"""Temporary: the wire models moved to :mod:`groupaudit.wire`; this name is kept only until the
two modules still importing it (pipeline.worker, local.chaos) are updated."""

from groupaudit.wire import AuditMessage, GroupRegistration, NoticeMessage

__all__ = ["AuditMessage", "GroupRegistration", "NoticeMessage"]
