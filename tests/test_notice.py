"""The notice digest posted into a group: quiet when clean, @-mentions the people concerned."""

from __future__ import annotations

from groupaudit.render import render_notice
from groupaudit.tenant import audit_tenant_folder
from kit import TENANT


def _results(lang="zh"):
    return {
        snapshot.group.id: (snapshot, report) for snapshot, report in audit_tenant_folder(TENANT, lang=lang)
    }


def test_clean_group_gets_no_notice():
    # GIVEN the clean weekly-meeting group
    snapshot, report = _results()["grp-weekly"]
    # WHEN its notice is rendered
    # THEN there is none: quiet when nothing is wrong
    assert render_notice(report, snapshot) is None


def test_notice_counts_per_rule_and_mentions_the_people_concerned():
    # GIVEN the sales group's findings
    snapshot, report = _results()["grp-sales"]
    # WHEN its notice is rendered
    notice = render_notice(report, snapshot)
    assert notice is not None
    # THEN it has the tally of all nine, one line per finding but the two info-only file_naming ones,
    # and @-mentions the red line's sender, the admin (for the departed member), the member, the
    # head and the uploaders
    lines = notice.text.splitlines()
    assert lines[0] == "【群规审计】销售部工作群 · 2026-11-20 18:00"
    tally = [
        "已离职或非本部门成员 1",
        "文件命名不规范（缺日期、作者或主题） 2",
        "长期不活跃（潜水）成员 1",
        "工作提问未及时回复 1",
        "违规内容（广告、外链、禁用词、红线） 1",
        "过期、过时或已被取代的群文件 1",
        "重要文件未备份 2",
    ]
    assert lines[1] == "共发现 9 项：" + " · ".join(tally)
    # the red line first, never its words, then the violations
    assert lines[2] == (
        "1. 销售部+李四 于 11-19 14:30 发送的消息触及群规高压红线（003 第四章 2.5），请群管理员核实处理"
    )
    assert lines[3] == "2. 销售部+郭涛 已于 2026-10-31 离职，仍在群内，请群管理员将其移出"
    assert lines[4].startswith("3. 销售部+刘强 未在 20 分钟内回复")
    assert [rule for rule, _ in notice.findings].count("file_naming") == 0 and len(notice.findings) == 7
    assert lines[-2] == "其余 2 项请查看审计报告（审计编号 3b65d7ef27c4）。"
    assert notice.mention_ids == ("u-li", "u-head-sales", "u-wang", "u-zhang")


def test_long_digest_shows_the_top_items_and_says_where_the_rest_are():
    # GIVEN the sales group's nine findings
    snapshot, report = _results("en")["grp-sales"]
    # WHEN rendered with room for two
    notice = render_notice(report, snapshot, lang="en", top=2)
    assert notice is not None
    # THEN two items are listed and the rest are pointed to
    assert notice.text.count("\n1. ") + notice.text.count("\n2. ") == 2
    assert "7 more in the audit report" in notice.text
