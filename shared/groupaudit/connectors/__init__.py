"""Connectors: turn what a chat platform gives (an API, an export) into group snapshots.

Each connector maps the platform's ids, timestamps and message kinds onto the contract of
``SNAPSHOT_FORMAT.md`` and validates every snapshot it produces with
:func:`groupaudit.loading.decode_snapshot` before anyone may write it.

- :mod:`groupaudit.connectors.slack_export` — Slack's standard workspace export (a folder
  or the ``.zip`` Slack hands out), one snapshot per channel; see ``docs/platforms/slack.md``.
- :mod:`groupaudit.connectors.slack_api`, :mod:`~groupaudit.connectors.feishu`,
  :mod:`~groupaudit.connectors.dingtalk`, :mod:`~groupaudit.connectors.wecom` — one group pulled
  from the platform's API (DingTalk and WeCom messages from dropped records); shared pieces in
  :mod:`~groupaudit.connectors.base`, :mod:`~groupaudit.connectors.http` and
  :mod:`~groupaudit.connectors.skeleton` (each platform's answer table and its one judge, the
  token session, the pager, epoch times), incremental pulls
  in :mod:`~groupaudit.connectors.incremental`; see ``docs/platforms/``.
"""
