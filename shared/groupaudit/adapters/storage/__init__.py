"""The DynamoDB single table, one module per aggregate (key design in docs/PIPELINE.md):

- ``dynamo``: the retrying client, its backoff, what is transient, the errors, the codecs and
  ``Table``, the base of every aggregate;
- ``groups``: the group registry and the tenants list;
- ``runs``: audit requests, their counters and the runs of their groups (``RunRecord``,
  ``AuditRecord``);
- ``guard``: the group's ``STATE`` item, so an older audit never overwrites a newer one;
- ``findings``: findings, their lifecycle and the member index (``StoredFinding``,
  ``FindingRecord``);
- ``notices``: notice deliveries, their claims and parts (``NoticeRecord``);
- ``limits``: webhook nonces and the robots' send rates.

Each reader returns typed records (msgspec Structs, frozen). ``adapters/store.py`` composes
them into ``Store`` for the callers that take the whole table."""
