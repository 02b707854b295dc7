"""`groupaudit groups add|list|remove`: the registry from the command line."""

from __future__ import annotations

import json

import pytest
import yaml

from groupaudit.cli import main
from groupaudit.pipeline.api import overrides_problems
from groupaudit.wire import GroupRegistration


def test_add_list_and_remove_a_group(aws, store, capsys):
    # GIVEN an empty registry
    # WHEN a group is added with a webhook channel, then listed
    status = main(
        [
            "groups",
            "add",
            "acme",
            "grp-sales",
            "--platform",
            "dingtalk",
            "--kind",
            "department",
            "--name",
            "销售部工作群",
            "--notice",
            "webhook",
            "--webhook-url",
            "https://hooks.example.com/ga",
            "--secret-name",
            "acme/sales",
        ]
    )
    capsys.readouterr()
    main(["groups", "list", "acme", "--format", "json"])
    listed = json.loads(capsys.readouterr().out)
    # THEN it is stored as given, with the default snapshot key
    assert status == 0
    assert [(g["group_id"], g["platform"], g["kind"], g["notice"]["type"]) for g in listed] == [
        ("grp-sales", "dingtalk", "department", "webhook")
    ]
    assert store.groups.get_group("acme", "grp-sales").snapshot_key() == "snapshots/acme/grp-sales.json"
    # AND removing it empties the registry; removing it again is an error
    assert main(["groups", "remove", "acme", "grp-sales"]) == 0
    assert store.groups.list_groups("acme") == []
    assert main(["groups", "remove", "acme", "grp-sales"]) == 2
    assert "is not registered" in capsys.readouterr().err


def test_policy_overrides_are_checked_before_registering(aws, store, tmp_path, capsys):
    # GIVEN an overrides file with a typo
    overrides = tmp_path / "o.yaml"
    overrides.write_text("rules:\n  overdue_reply:\n    reply_macth: strict\n", encoding="utf-8")
    # WHEN the group is added with it
    status = main(["groups", "add", "acme", "grp-x", "--platform", "wecom", "--overrides", str(overrides)])
    # THEN nothing is registered and the error suggests the key
    assert status == 2
    assert "did you mean 'reply_match'?" in capsys.readouterr().err
    assert store.groups.list_groups("acme") == []


@pytest.mark.parametrize(
    ("layer", "key"),
    [
        (
            "rules:\n  inactive_member:\n    inactive_days: -1\n",
            "policy_overrides.rules.inactive_member.inactive_days",
        ),
        ("rules:\n  no_such_rule: {}\n", "policy_overrides.rules.no_such_rule"),
        ("sanctions: {}\n", "policy_overrides.sanctions"),
    ],
    ids=["negative", "unknown-rule", "tenant-wide-section"],
)
def test_overrides_are_refused_as_the_api_refuses_them_for_the_groups_kind(
    aws, store, tmp_path, capsys, layer, key
):
    # GIVEN an overrides file that POST /groups refuses for a department group
    overrides = tmp_path / "o.yaml"
    overrides.write_text(layer, encoding="utf-8")
    registration = GroupRegistration.model_validate(
        {"tenant_id": "acme", "group_id": "grp-x", "platform": "wecom", "kind": "department",
         "policy_overrides": yaml.safe_load(layer)}
    )  # fmt: skip
    api_refusal = overrides_problems(registration)
    assert [d.loc for d in api_refusal] == [["body", *key.split(".")]]
    # WHEN the group is added with it from the command line
    args = ["groups", "add", "acme", "grp-x", "--platform", "wecom", "--kind", "department"]
    status = main([*args, "--overrides", str(overrides)])
    # THEN it is refused naming the key where the API names it, with the API's reason; nothing stored
    err = capsys.readouterr().err
    assert status == 2
    assert f"{key}: {api_refusal[0].msg}" in err
    assert store.groups.list_groups("acme") == []


def test_webhook_without_url_is_refused(aws, store, capsys):
    # GIVEN a webhook channel missing its URL and secret
    # WHEN added
    status = main(["groups", "add", "acme", "grp-x", "--platform", "slack", "--notice", "webhook"])
    # THEN it is refused with the reason
    assert status == 2
    assert "a webhook channel needs url and secret_name" in capsys.readouterr().err


def test_without_a_table_name_the_command_says_what_is_missing(monkeypatch, capsys):
    # GIVEN no TABLE_NAME in the environment
    monkeypatch.delenv("TABLE_NAME", raising=False)
    # WHEN listing groups
    status = main(["groups", "list", "acme"])
    # THEN the missing variable is named
    assert status == 2
    assert "TABLE_NAME" in capsys.readouterr().err


def test_a_group_pulled_from_its_platform_is_registered_with_its_source(aws, store, capsys):
    # WHEN a WeCom customer group is registered to be pulled from WeCom, with its chat id and
    # the name of its app credentials
    status = main(
        [
            "groups",
            "add",
            "acme",
            "grp-vip",
            "--platform",
            "wecom",
            "--source",
            "wecom",
            "--chat-id",
            "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA",
            "--source-secret",
            "tenants/acme/wecom-app",
            "--variant",
            "customer",
            "--lookback-days",
            "14",
            "--department",
            "客户成功部",
            "--exempt",
            "E-boss",
            "--allow-external",
            "wmEXT01",
        ]
    )
    # THEN the registration holds the source, with the default drop prefix for its records
    assert status == 0
    source = store.groups.get_group("acme", "grp-vip").source
    assert (source.type, source.chat_id, source.secret_name, source.variant, source.lookback_days) == (
        "wecom",
        "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA",
        "tenants/acme/wecom-app",
        "customer",
        14,
    )
    registered = store.groups.get_group("acme", "grp-vip")
    assert registered.drop_prefix() == "drops/acme/grp-vip/"
    # AND what WeCom cannot say about the group is kept for its pulled snapshots
    assert (registered.department, registered.exempt_member_ids, registered.allowed_external_ids) == (
        "客户成功部",
        ["E-boss"],
        ["wmEXT01"],
    )


def test_a_platform_source_is_checked_before_registering(aws, store, capsys):
    # GIVEN sources that cannot work: no credentials; another platform's API; an unknown variant
    cases = [
        (["--platform", "feishu", "--source", "feishu"], "a feishu source needs secret_name"),
        (
            ["--platform", "dingtalk", "--source", "feishu", "--source-secret", "tenants/acme/x"],
            "a dingtalk group cannot be pulled from feishu",
        ),
        (
            [
                "--platform",
                "dingtalk",
                "--source",
                "dingtalk",
                "--source-secret",
                "s",
                "--variant",
                "customer",
            ],
            "unknown dingtalk variant 'customer'; one of chat, scene",
        ),
        (
            [
                "--platform",
                "slack",
                "--source",
                "slack",
                "--source-secret",
                "s",
                "--base-url",
                "http://api.x",
            ],
            "source base_url must use https (http is allowed on loopback only)",
        ),
    ]
    for flags, reason in cases:
        # WHEN each is added
        status = main(["groups", "add", "acme", "grp-x", *flags])
        # THEN it is refused with the reason, and nothing is registered
        assert status == 2
        assert reason in capsys.readouterr().err
    assert store.groups.list_groups("acme") == []


def test_add_refuses_urls_the_api_refuses_but_keeps_loopback_peers(aws, store, capsys):
    # GIVEN robot URLs with credentials, to the metadata address, and to a local loopback peer
    def add(group: str, url: str) -> int:
        return main(
            ["groups", "add", "acme", group, "--platform", "slack", "--notice", "slack", "--webhook-url", url]
        )

    # WHEN each is added from the command line
    with_credentials = add("grp-a", "https://bot:s3cr3tpw@hooks.slack.com/services/T/B/x")
    metadata = add("grp-b", "https://169.254.169.254/latest/meta-data")
    err = capsys.readouterr().err
    peer = add("grp-c", "http://127.0.0.1:8099/services/T/B/x")
    # THEN the first two are refused naming the field and why (never echoing the password);
    # the loopback peer is registered, for local runs (the deployed functions refuse it)
    assert (with_credentials, metadata, peer) == (2, 2, 0)
    assert "notice.url: must not carry user:password@" in err and "s3cr3tpw" not in err
    assert "notice.url: must not point at a link-local address" in err
    assert [g.group_id for g in store.groups.list_groups("acme")] == ["grp-c"]


def test_list_masks_credentials_of_urls_stored_before_they_were_refused(aws, store, capsys):
    # GIVEN a registration stored before credentials in URLs were refused: a webhook with a user
    # and password and a token in its query
    from groupaudit.wire import GroupRegistration

    store.groups.put_group(
        GroupRegistration.model_validate(
            {
                "tenant_id": "acme",
                "group_id": "grp-legacy",
                "platform": "feishu",
                "kind": "department",
                "notice": {
                    "type": "webhook",
                    "url": "https://ops:hunter2@hooks.example.com/ga?access_token=s3cr3t&x=1",
                    "secret_name": "acme/legacy",
                },
            }
        )
    )
    # WHEN the registry is listed as JSON and as a table
    main(["groups", "list", "acme", "--format", "json"])
    listed = capsys.readouterr().out
    main(["groups", "list", "acme"])
    table = capsys.readouterr().out
    # THEN the URL is listed with its credentials masked, as GET /groups lists it
    assert json.loads(listed)[0]["notice"]["url"] == "https://***@hooks.example.com/ga?access_token=***&x=1"
    for secret in ("hunter2", "s3cr3t", "ops:"):
        assert secret not in listed
        assert secret not in table
    # AND what is stored is unchanged, so the notices are still delivered
    assert "hunter2" in str(store.groups.get_group("acme", "grp-legacy").notice.url)
