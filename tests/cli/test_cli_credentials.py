"""`groupaudit pull` takes the app credentials from the platforms' usual environment variables."""

from __future__ import annotations

import json

import pytest

from groupaudit.cli import EXIT_INVALID, EXIT_OK, EXIT_PLATFORM, main
from groupaudit.cli._credentials import ENVIRONMENT, from_environment
from groupaudit.connectors.base import CREDENTIAL_KEYS
from groupaudit.errors import InputError
from groupaudit.loading import load_snapshot
from groupaudit.local.peers.feishu import FeishuPeer
from groupaudit.local.peers.slack import TOKEN, SlackPeer
from kit import TENANT

NOW = "2026-11-20T18:00:00+08:00"
ALL_VARIABLES = [name for keys in ENVIRONMENT.values() for names, _ in keys.values() for name in names]


@pytest.fixture(autouse=True)
def _no_credentials_in_the_environment(monkeypatch):
    for name in ALL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_slack_bot_token_from_the_environment_pulls_the_group(tmp_path, monkeypatch, capsys):
    # GIVEN the sales group in a Slack peer and its bot token in SLACK_BOT_TOKEN, no file
    snapshot = load_snapshot(TENANT / "snapshots" / "sales.json")
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    out = tmp_path / "sales.json"
    with SlackPeer.from_snapshot(snapshot) as peer:
        argv = ["pull", "slack", snapshot.group.id, "--base-url", peer.api_url, "--now", NOW]
        # WHEN pulled
        status = main([*argv, "--out", str(out)])
        # AND pulled with another token in the variable
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-the-peer-s")
        refused = main([*argv, "--out", str(tmp_path / "refused.json")])
    # THEN the token was the variable's: the first pull wrote the group, the second was refused
    assert status == EXIT_OK
    pulled = load_snapshot(out)
    assert pulled.members is not None and snapshot.members is not None
    assert {m.id for m in pulled.members} == {m.id for m in snapshot.members}
    assert refused == EXIT_PLATFORM
    err = capsys.readouterr().err
    assert "invalid_auth" in err and "xoxb-not-the-peer-s" not in err


def test_feishu_app_id_and_secret_from_the_environment(tmp_path, monkeypatch):
    snapshot = load_snapshot(TENANT / "snapshots" / "rd.json")
    with FeishuPeer.from_snapshot(snapshot) as peer:
        monkeypatch.setenv("FEISHU_APP_ID", peer.app_id)
        monkeypatch.setenv("FEISHU_APP_SECRET", peer.app_secret)
        argv = ["pull", "feishu", peer.chat_id, "--base-url", peer.url, "--variant", "open_id", "--now", NOW]
        assert main([*argv, "--group", "grp-rd", "--out", str(tmp_path / "rd.json")]) == EXIT_OK
    assert load_snapshot(tmp_path / "rd.json").group.id == "grp-rd"


def test_a_credentials_file_is_used_over_the_environment(tmp_path, monkeypatch):
    snapshot = load_snapshot(TENANT / "snapshots" / "sales.json")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong")
    credentials = tmp_path / "slack.json"
    credentials.write_text(json.dumps({"token": TOKEN}))
    with SlackPeer.from_snapshot(snapshot) as peer:
        argv = ["pull", "slack", snapshot.group.id, "--base-url", peer.api_url, "--now", NOW]
        status = main([*argv, "--credentials", str(credentials), "--out", str(tmp_path / "s.json")])
    assert status == EXIT_OK


def test_without_file_or_variables_the_error_names_the_variables(tmp_path, capsys):
    # WHEN a WeCom pull has neither --credentials nor its variables
    status = main(["pull", "wecom", "wrOgAAAA", "--out", str(tmp_path / "x.json")])
    # THEN it stops before any call, naming what to set
    assert status == EXIT_INVALID
    err = capsys.readouterr().err
    assert "no wecom credentials: pass --credentials FILE or set WECOM_CORP_ID, WECOM_SECRET" in err
    assert not (tmp_path / "x.json").exists()


def test_dingtalk_takes_the_console_s_client_id_or_the_older_app_key():
    # GIVEN the new (Client ID/Secret) and the older (AppKey/AppSecret) names of DingTalk's console
    new = {"DINGTALK_CLIENT_ID": "ding-new", "DINGTALK_CLIENT_SECRET": "s-new"}
    old = {"DINGTALK_APP_KEY": "ding-old", "DINGTALK_APP_SECRET": "s-old"}
    # THEN either gives the connector's keys, the new names first; the operator is optional
    assert from_environment("dingtalk", old) == {"app_key": "ding-old", "app_secret": "s-old"}
    assert from_environment("dingtalk", {**old, **new}) == {"app_key": "ding-new", "app_secret": "s-new"}
    with_operator = {**new, "GROUPAUDIT_DINGTALK_OPERATOR_UNION_ID": "union-1"}
    assert from_environment("dingtalk", with_operator)["operator_union_id"] == "union-1"
    # AND an empty variable counts as unset
    with pytest.raises(InputError, match="DINGTALK_CLIENT_SECRET or DINGTALK_APP_SECRET"):
        from_environment("dingtalk", {"DINGTALK_CLIENT_ID": "x", "DINGTALK_CLIENT_SECRET": ""})


def test_every_platform_s_required_keys_have_variables():
    # the connectors' own list of the keys each platform needs
    for platform, keys in CREDENTIAL_KEYS.items():
        required = {key for key, (_, needed) in ENVIRONMENT[platform].items() if needed}
        assert required == set(keys), platform
    assert from_environment("wecom", {"WECOM_CORP_ID": "ww1", "WECOM_SECRET": "s"}) == {
        "corp_id": "ww1",
        "secret": "s",
    }
