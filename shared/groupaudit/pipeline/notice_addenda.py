"""What the tenant pass adds to a group's notice of the run, so that the group still gets one
digest: the pass's lines ride on the group's own ``NOTICE#{audit_id}`` record until the
notifier claims it.

The tenant pass runs after the run's last group is recorded, when the groups' digests are
queued but maybe not yet sent. For a group whose digest is queued, the pass writes its
addendum onto the group's notice record with a conditional update that holds only while no
delivery has claimed the record (no ``status``) and no addendum is there yet; the notifier,
once it holds the claim, reads the record and appends the addendum to the digest it sends
(its findings are marked notified with the rest). Both writes are conditional on the same
item, so exactly one of two things happens: the addendum lands before the claim and goes out
with the digest, or the claim came first and the pass sends a digest of its own for the
group (``NOTICE#{audit_id}-tenant``, claimed by the notifier like any notice: once). A retried
pass finds its addendum there and adds nothing.
"""

from __future__ import annotations

import json

from groupaudit.adapters.storage.notices import NoticeRecord, Notices
from groupaudit.wire import NoticeMessage

ADDENDUM = "addendum_json"  # the attribute of the notice record holding the pass's lines
TENANT_NOTICE = "-tenant"  # suffix of the notice id of the pass's own digest for a group


def add_to_notice(
    store: Notices,
    tenant: str,
    group: str,
    audit_id: str,
    *,
    text: str,
    mention_ids: list[str],
    findings: list[tuple[str, str]],
    expires_at: int,
) -> str:
    """Put the pass's lines on the group's notice of the run: ``added`` (they go out with the
    digest), ``present`` (an earlier attempt of the pass added them), or ``claimed`` (the
    digest is being or was sent without them: send a digest of their own)."""
    addendum = json.dumps(
        {"text": text, "mention_ids": mention_ids, "findings": [list(ref) for ref in findings]},
        ensure_ascii=False,
    )
    key = {"PK": {"S": f"TENANT#{tenant}#GROUP#{group}"}, "SK": {"S": f"NOTICE#{audit_id}"}}
    client = store.client
    try:
        client.update_item(
            TableName=store.table,
            Key=key,
            UpdateExpression="SET #a = :a, #t = :type, expires_at = if_not_exists(expires_at, :exp)",
            ConditionExpression="attribute_not_exists(#s) AND attribute_not_exists(#a)",
            ExpressionAttributeNames={"#a": ADDENDUM, "#s": "status", "#t": "type"},
            ExpressionAttributeValues={
                ":a": {"S": addendum},
                ":type": {"S": "notice"},
                ":exp": {"N": str(expires_at)},
            },
        )
    except client.exceptions.ConditionalCheckFailedException:
        item = client.get_item(TableName=store.table, Key=key, ConsistentRead=True).get("Item", {})
        return "present" if ADDENDUM in item else "claimed"
    return "added"


def merged(message: NoticeMessage, record: NoticeRecord | None) -> NoticeMessage:
    """The group's digest with the tenant pass's addendum, if its notice record holds one
    (the notifier calls this once it holds the claim)."""
    raw = record.addendum_json if record else None
    if not raw:
        return message
    addendum = json.loads(raw)
    mentions = list(message.mention_ids)
    mentions += [m for m in addendum["mention_ids"] if m not in mentions]
    findings = list(message.findings)
    findings += [(rule, fid) for rule, fid in addendum["findings"] if (rule, fid) not in findings]
    text = f"{message.text}\n\n{addendum['text']}"
    return message.model_copy(update={"text": text, "mention_ids": mentions, "findings": findings})
