"""Deterministic generator of synthetic group snapshots for the audit benchmark.

Writes, for ``--messages N``:

* ``DIR/snapshot-N.json``  — one DingTalk department group following docs/SNAPSHOT_FORMAT.md
* ``DIR/directory-N.json`` — the matching HR roster (directory contract)
* ``DIR/backups-N/``       — small files whose SHA-256 equals the ``sha256`` of about half of
  the snapshot's important files (important as the default policy defines it)

The same size always gives the same bytes (one seeded ``random.Random``, no clock, no hash
ordering). The snapshot is written as a stream, one message at a time, so a 1,000,000-message
snapshot never exists in memory as one list of dicts.

Usage::

    python bench/generate.py --messages 100000 --out .bench
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import math
import os
import re
import shutil
import sys
import time
from collections import Counter, deque
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from random import Random

CST = timezone(timedelta(hours=8))
TAKEN_AT = datetime(2026, 11, 20, 18, 0, 0, tzinfo=CST)
TAKEN_TS = int(TAKEN_AT.timestamp())
GROUP_CREATED = datetime(2025, 3, 1, 10, 0, 0, tzinfo=CST)
GROUP_CREATED_TS = int(GROUP_CREATED.timestamp())
WINDOW_DAYS = 120
WINDOW_START_DATE = TAKEN_AT.date() - timedelta(days=WINDOW_DAYS)  # 2026-07-23
WINDOW_START_TS = int(datetime.combine(WINDOW_START_DATE, datetime.min.time(), CST).timestamp())
DAY = 86400

BASE_SEED = 20261120
TENANT = "bench"
GROUP_DEPARTMENT = "销售部"

# 2026 Chinese public calendar inside the window (调休 included).
HOLIDAYS = {date(2026, 9, 25)} | {date(2026, 10, d) for d in range(1, 8)}
MAKEUP_WORKDAYS = {date(2026, 9, 20), date(2026, 10, 10)}

# (name, id slug, titles)
DEPARTMENTS = [
    ("销售部", "sales", ["销售专员", "销售经理", "大客户经理", "销售助理", "渠道经理"]),
    ("研发部", "rd", ["软件工程师", "测试工程师", "架构师", "前端工程师"]),
    ("行政中心", "admin", ["行政专员", "前台", "行政主管", "后勤专员"]),
    ("财务部", "finance", ["会计", "出纳", "财务主管", "税务专员"]),
    ("人力资源部", "hr", ["招聘专员", "HRBP", "薪酬专员", "培训专员"]),
    ("市场部", "marketing", ["市场专员", "品牌经理", "活动策划"]),
    ("客服部", "support", ["客服专员", "客服主管", "售后工程师"]),
    ("采购部", "purchasing", ["采购专员", "供应商管理"]),
    ("法务部", "legal", ["法务专员", "合规经理"]),
    ("产品部", "product", ["产品经理", "产品助理", "UI设计师"]),
    ("运营部", "operations", ["运营专员", "数据分析师", "内容运营"]),
    ("质量部", "quality", ["质量工程师", "质检员"]),
    ("总经办", "office", ["总经理助理", "秘书"]),
]
ADMIN_CENTER = "行政中心"

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = list(
    "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红文辉玲萍鑫斌宇浩凯健俊帆帅旭宁琳晶欣雪婷颖佳慧倩雯博睿思远航鹏飞晨阳瑞凡晓梅丹彤蕾薇云莉楠源轩泽"
)
NICKNAMES = ["Lucy", "Tony", "小王", "阿杰", "Kevin", "向日葵", "Amy", "老张", "星辰大海", "Jack"]
BOT_NAMES = [("u-bot-report", "日报机器人"), ("u-bot-approval", "审批助手")]

COMPANIES = [
    "华信科技",
    "东方物流",
    "新纪元传媒",
    "恒达建材",
    "蓝海医疗",
    "中天电子",
    "瑞丰食品",
    "金桥贸易",
    "远景能源",
    "天成软件",
    "博雅教育",
    "鼎盛置业",
    "汇通金融",
    "云帆网络",
]
PRODUCTS = ["智能门锁", "云办公套件", "工业传感器", "会员系统", "数据平台", "新款路由器", "企业网盘"]
CITIES = ["上海", "北京", "杭州", "深圳", "成都", "武汉", "南京", "苏州", "广州", "西安"]
PLACES = ["三楼会议室", "大会议室", "线上会议", "五楼培训室", "客户公司", "总部一楼"]
WEEKDAYS_ZH = ["周一", "周二", "周三", "周四", "周五"]

# Statements avoid every question marker (?, ？, 吗, 请问, 怎么, 如何, 是否, 能否, 什么时候, 哪里, 多少).
STATEMENTS = [
    "今天下午三点在{place}开周例会，请大家准时参加",
    "{company}那边已经确认了合同条款",
    "报价单已经更新到群文件了",
    "本周的销售数据已经汇总完毕，详见群文件",
    "明天上午我去{city}拜访{company}",
    "系统今晚十点升级维护，预计两小时",
    "发票已经寄出，快递单号稍后发群里",
    "{company}的回款{amount}万已经到账",
    "{product}的新版报价下周一生效",
    "这周{weekday}要交季度总结，大家提前准备",
    "客户反馈{product}安装后运行正常",
    "出差申请已经在OA里提交了",
    "样品已经寄到{city}办事处",
    "{company}的投标文件已经准备好了",
    "今天的客户拜访记录已经补全",
    "下个月的促销方案初稿已经出来了",
    "合同已经盖章，原件在行政中心",
    "本月目标完成率百分之{pct}",
    "{weekday}上午有产品培训，地点在{place}",
    "新同事今天入职，大家多多关照",
    "报销单据已经交给财务",
    "{company}的需求变更已经同步给研发部",
    "客户投诉已经处理完毕并回访",
    "仓库那边说{product}库存还有{amount}台",
]
FILLERS = [
    "辛苦大家",
    "有问题随时联系我",
    "具体细节我们会上再讨论",
    "麻烦大家抽空看一下",
    "请各位同事注意查收",
    "谢谢",
    "先同步一下进度",
    "后续有变化我再通知",
    "按原计划推进",
    "大家辛苦了",
    "我这边已经跟进",
    "记得及时更新客户台账",
]
QUESTIONS = [
    "请问这个月的报价单模板在哪里？",
    "合同审批流程怎么走？",
    "是否需要提前报备出差？",
    "能否把上周的会议纪要发一下？",
    "报销单什么时候截止？",
    "{company}的回款情况怎么样了？",
    "请问{product}的最新价格是多少？",
    "{weekday}的客户拜访谁跟我一起去？",
    "这个客户的发票能否加急开？",
    "请问样品寄到{city}需要几天？",
    "新版合同模板是否已经法务审核",
    "请问今天的例会还开吗",
    "{company}的需求怎么评估比较好？",
    "谁知道{product}的售后电话？",
    "能否帮忙确认一下{company}的开票信息",
]
REQUESTS = [
    "请尽快确认{company}的回款计划",
    "麻烦今天下班前把{product}的报价发我",
    "请确认本周的客户拜访安排",
    "尽快把{company}的合同审批走完",
    "麻烦核对一下上个月的销售数据",
    "请跟进{company}的投诉处理",
]
ANSWERS = [
    "在群文件报价文件夹里",
    "已经发你了",
    "收到，我下午处理",
    "流程是先提交OA再找财务审批",
    "需要，出发前在钉钉提交申请",
    "我来跟进",
    "已确认，没问题",
    "稍等，我查一下再回复你",
    "明天上午给你答复",
    "好的，马上处理",
    "已经安排了",
    "这个我问一下法务部再说",
]
SHORT_ACKS = ["收到", "好的", "+1", "已确认", "收到，谢谢"]
NOTICES = [
    "【群公告】本周五下午进行季度总结会，请各位准时参加",
    "【群公告】请大家在月底前完成客户信息更新",
    "【通知】国庆假期值班安排已发群文件，请查收",
    "【群公告】新版费用报销制度即日起执行",
    "【通知】下周一起启用新版合同模板",
]
BOT_TEXTS = ["【日报】今日新增客户{n}家，回款{amount}万", "【审批】你有{n}条待审批事项"]
ADS = ["加微信领取优惠券，限时特价，错过不再", "兼职刷单日结，有意私聊"]

FILE_TOPICS = [
    ("销售报价单模板", "xlsx"),
    ("客户拜访记录", "xlsx"),
    ("季度销售方案", "docx"),
    ("年度预算", "xlsx"),
    ("合作协议", "docx"),
    ("采购合同", "pdf"),
    ("会议纪要", "docx"),
    ("产品介绍", "pptx"),
    ("培训资料", "pptx"),
    ("财务报表", "xlsx"),
    ("费用报销制度", "pdf"),
    ("考勤管理制度", "pdf"),
    ("市场推广方案", "pptx"),
    ("竞品分析报告", "pdf"),
    ("客户名单", "xlsx"),
    ("投标文件", "pdf"),
    ("发票汇总", "xlsx"),
    ("回款统计", "xlsx"),
    ("销售数据", "xlsx"),
    ("产品路线图", "pptx"),
    ("需求说明书", "docx"),
    ("验收报告", "pdf"),
    ("合同审批表", "xlsx"),
    ("渠道政策", "docx"),
    ("客户满意度调查", "xlsx"),
    ("价格调整通知", "pdf"),
    ("销售话术", "docx"),
]
FOLDERS = ["报价", "合同", "会议纪要", "制度", "周报", "项目资料", "培训", None, None]
VERSION_STYLES = ["v{n}", "V{n}", " 第{n}版", "({m})", " 副本", "最终版", "终稿", "修订版"]
EXT_SIZES = {  # (min bytes, max bytes), log-uniform
    "docx": (10_000, 8_000_000),
    "xlsx": (10_000, 6_000_000),
    "pdf": (50_000, 20_000_000),
    "pptx": (500_000, 20_000_000),
    "png": (10_000, 3_000_000),
    "zip": (1_000_000, 20_000_000),
}
IMPORTANT_PATTERNS = ["合同", "制度", "纪要", "报告", "方案", "财务", "报表", "预算", "协议", "发票"]
OFFICE_EXTS = {"docx", "xlsx", "pdf", "pptx", "doc", "xls", "ppt"}
IMPORTANT_MIN_BYTES = 5 * 1024 * 1024


def scale(messages: int) -> tuple[int, int]:
    """Members and files for a snapshot of ``messages`` messages."""
    members = min(10_000, max(40, messages // 50))
    files = min(10_000, max(10, messages // 100))
    return members, files


class Stamp:
    """Formats epoch seconds as ISO 8601 with an offset: +08:00 mostly, ~5% in UTC ``Z`` form."""

    def __init__(self, rng: Random) -> None:
        self.rng = rng

    def __call__(self, ts: int) -> str:
        if self.rng.random() < 0.05:
            return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return datetime.fromtimestamp(ts, CST).isoformat()


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _local_ts(d: date, seconds: float) -> int:
    return int(datetime.combine(d, datetime.min.time(), CST).timestamp() + seconds)


def _is_workday(d: date) -> bool:
    if d in MAKEUP_WORKDAYS:
        return True
    return d.weekday() < 5 and d not in HOLIDAYS


def _day_times(rng: Random, d: date, count: int, last_day: bool) -> list[int]:
    """``count`` sorted timestamps on day ``d``, mostly in working hours on working days."""
    h = 3600
    work = [(9 * h, 12 * h), (13.5 * h, 18 * h)]
    off = [(7 * h, 9 * h), (12 * h, 13.5 * h)] + ([] if last_day else [(18 * h, 23 * h)])
    weekend = [(9 * h, 22 * h)] if not last_day else [(9 * h, 18 * h)]
    workday = _is_workday(d)
    out = []
    for _ in range(count):
        if not workday:
            periods = weekend
        elif rng.random() < 0.88:
            periods = work
        else:
            periods = off
        a, b = periods[0] if len(periods) == 1 else rng.choice(periods)
        out.append(_local_ts(d, a + rng.random() * (b - a)))
    out.sort()
    return out


def _day_counts(rng: Random, total: int) -> list[tuple[date, int]]:
    days = [WINDOW_START_DATE + timedelta(days=i) for i in range(WINDOW_DAYS + 1)]
    weights = [(1.0 if _is_workday(d) else 0.12) * (0.7 + 0.6 * rng.random()) for d in days]
    s = sum(weights)
    raw = [total * w / s for w in weights]
    counts = [int(x) for x in raw]
    order = sorted(range(len(days)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return list(zip(days, counts, strict=True))


def _log_uniform(rng: Random, lo: int, hi: int) -> int:
    return int(math.exp(math.log(lo) + rng.random() * (math.log(hi) - math.log(lo))))


def _person_name(rng: Random) -> str:
    given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


class People:
    """Group members and the directory behind them."""

    def __init__(self, rng: Random, n_members: int) -> None:
        self.rng = rng
        self.members: list[dict] = []  # snapshot member records
        self.people: list[dict] = []  # directory records
        self.dept_of: dict[str, str] = {}
        self.name_of: dict[str, str] = {}
        self.head_of_dept: dict[str, str] = {}
        self.heads: list[str] = []
        self.leaders = ["u-ceo", "u-vp-1", "u-vp-2"]
        # Activity model for the message stream: (member id, weight, active from ts, active to ts)
        self.activity: list[tuple[str, float, int, int]] = []
        self.outsiders: list[str] = []
        self.admin_member = "u-head-admin"
        self._build(n_members)

    def _add(
        self,
        mid,
        name,
        dept,
        *,
        title,
        role="member",
        joined_ts,
        display=None,
        in_directory=True,
        status="active",
        hired=None,
        left=None,
        is_bot=False,
    ):
        self.members.append(
            {
                "id": mid,
                "display_name": display or f"{dept}+{name}",
                "role": role,
                "joined_at": joined_ts,  # epoch or None; formatted when written
                "is_bot": is_bot,
            }
        )
        self.dept_of[mid] = dept
        self.name_of[mid] = name
        if in_directory:
            self.people.append(
                {
                    "id": mid,
                    "name": name,
                    "department": dept,
                    "title": title,
                    "status": status,
                    "hired_at": hired,
                    "left_at": left,
                }
            )

    def _hired_before(self, ts: int | None) -> str:
        base = ts if ts is not None else GROUP_CREATED_TS - 200 * DAY
        return datetime.fromtimestamp(base - self.rng.randint(0, 400) * DAY, CST).date().isoformat()

    def _build(self, n: int) -> None:
        rng = self.rng
        early = GROUP_CREATED_TS + 3600
        # Leadership and department heads: all in the group.
        leader_names = ["陈志强", "李卫东", "周海燕"]
        for mid, name, title in zip(
            self.leaders, leader_names, ["总经理", "副总经理", "副总经理"], strict=True
        ):
            self._add(
                mid,
                name,
                "总经办",
                title=title,
                joined_ts=early + rng.randint(0, 5) * DAY + rng.randint(0, 7200),
                hired=self._hired_before(GROUP_CREATED_TS),
            )
            self.activity.append((mid, 2.0, WINDOW_START_TS, TAKEN_TS))
        self.head_of_dept["总经办"] = "u-ceo"
        for dept, slug, _titles in DEPARTMENTS:
            if dept == "总经办":
                continue
            hid = f"u-head-{slug}"
            name = _person_name(rng)
            self.head_of_dept[dept] = hid
            self.heads.append(hid)
            role = "owner" if dept == GROUP_DEPARTMENT else ("admin" if dept == ADMIN_CENTER else "member")
            self._add(
                hid,
                name,
                dept,
                title="部门经理" if dept != ADMIN_CENTER else "行政总监",
                role=role,
                joined_ts=early + rng.randint(0, 10) * DAY + rng.randint(0, 7200),
                hired=self._hired_before(GROUP_CREATED_TS),
            )
            self.activity.append((hid, 12.0 if dept == GROUP_DEPARTMENT else 5.0, WINDOW_START_TS, TAKEN_TS))
        # Bots.
        for bid, bname in BOT_NAMES:
            self._add(
                bid, bname, "", title="", display=bname, joined_ts=early, in_directory=False, is_bot=True
            )
        # Regular members.
        n_regular = max(10, n - len(self.members))
        n_outsiders = max(1, n_regular // 200)
        other_depts = [d for d, _, _ in DEPARTMENTS if d not in (GROUP_DEPARTMENT, "总经办")]
        titles = {d: t for d, _, t in DEPARTMENTS}
        admin_picked = False
        for k in range(n_regular):
            mid = f"u-{k + 1:06d}"
            name = _person_name(rng)
            dept = GROUP_DEPARTMENT if rng.random() < 0.65 else rng.choice(other_depts)
            r = rng.random()
            # Join time: most joined in the first months, some steadily since, ~3% recently.
            if r < 0.03:
                joined = TAKEN_TS - rng.randint(1, 25) * DAY - rng.randint(0, 8 * 3600)
                kind = "recent"
            elif r < 0.60:
                joined = GROUP_CREATED_TS + rng.randint(0, 60) * DAY + rng.randint(0, 86399)
                kind = "early"
            else:
                joined = GROUP_CREATED_TS + rng.randint(0, (TAKEN_TS - GROUP_CREATED_TS) // DAY - 30) * DAY
                joined += rng.randint(0, 86399)
                kind = "steady"
            behaviour = rng.random()
            if kind != "recent" and behaviour < 0.12:
                # Inactive ("潜水"): never posts, joined long before the message window.
                joined = min(joined, WINDOW_START_TS - rng.randint(10, 300) * DAY)
                joined = max(joined, GROUP_CREATED_TS + 3600)
                active = None
            elif kind != "recent" and behaviour < 0.20:
                # Faded: posted early in the window, silent for the last 30+ days.
                start = max(joined, WINDOW_START_TS)
                end = WINDOW_START_TS + rng.randint(10, 85) * DAY
                active = (start, end) if end > start else None
            elif kind == "recent" and behaviour < 0.4:
                active = None  # joined recently, not said anything yet
            else:
                active = (max(joined, WINDOW_START_TS), TAKEN_TS)
            joined_out = None if (kind == "early" and rng.random() < 0.05) else joined

            # Directory status and display-name hygiene.
            in_directory = True
            status, left = "active", None
            dir_dept = dept
            display = f"{dept}+{name}"
            title = rng.choice(titles[dept])
            if k < n_outsiders * 2 and k % 2 == 1:
                in_directory = False  # not an employee: supplier, customer, ex-contractor
                display = rng.choice(["外部-", "供应商-", "客户-"]) + name
                self.outsiders.append(mid)
            else:
                q = rng.random()
                if q < 0.02:
                    status = "departed"
                    left = (
                        datetime.fromtimestamp(TAKEN_TS - rng.randint(5, 200) * DAY, CST).date().isoformat()
                    )
                elif q < 0.03:
                    dir_dept = rng.choice(other_depts)  # moved department, display not updated
                q = rng.random()
                if q < 0.02:
                    display = name
                elif q < 0.04:
                    display = rng.choice(NICKNAMES)
                elif q < 0.07:
                    display = f"{dept}{rng.choice(['-', '＋', '_', '·'])}{name}"
            role = "member"
            if (
                not admin_picked
                and dept == GROUP_DEPARTMENT
                and in_directory
                and status == "active"
                and active
            ):
                role = "admin"
                admin_picked = True
                self.admin_member = mid
            hired = self._hired_before(joined if kind != "recent" else None)
            if kind == "recent":
                hired = datetime.fromtimestamp(joined - rng.randint(0, 6) * DAY, CST).date().isoformat()
            self._add(
                mid,
                name,
                dept,
                title=title,
                role=role,
                joined_ts=joined_out,
                display=display,
                in_directory=in_directory,
                status=status,
                hired=hired,
                left=left,
            )
            if in_directory and dir_dept != dept:
                self.people[-1]["department"] = dir_dept
            if active is not None:
                self.activity.append((mid, 1.0, active[0], active[1]))
        # Zipf-like weights across regular active members (heads/leaders keep theirs).
        regular = [i for i, a in enumerate(self.activity) if a[1] == 1.0]
        rng.shuffle(regular)
        for rank, i in enumerate(regular, start=1):
            mid, _, s, e = self.activity[i]
            self.activity[i] = (mid, 40.0 / rank**0.8 + 0.05, s, e)
        # Directory-only employees: colleagues not in this group, some hired days ago.
        for k in range(max(20, n // 10)):
            mid = f"u-{n_regular + k + 1:06d}"
            dept = rng.choice([d for d, _, _ in DEPARTMENTS])
            recent = rng.random() < 0.1
            hired = (
                datetime.fromtimestamp(TAKEN_TS - rng.randint(0, 12) * DAY, CST).date().isoformat()
                if recent
                else self._hired_before(None)
            )
            self.people.append(
                {
                    "id": mid,
                    "name": _person_name(rng),
                    "department": dept,
                    "title": rng.choice(titles[dept]),
                    "status": "active" if rng.random() > 0.05 else "departed",
                    "hired_at": hired,
                    "left_at": None,
                }
            )
            if self.people[-1]["status"] == "departed":
                self.people[-1]["left_at"] = (
                    datetime.fromtimestamp(TAKEN_TS - rng.randint(1, 300) * DAY, CST).date().isoformat()
                )
        self.member_ids = [m["id"] for m in self.members if not m["is_bot"]]
        self.cum = []
        total = 0.0
        for _, w, _, _ in self.activity:
            total += w
            self.cum.append(total)
        self.total = total

    def pick(self, ts: int) -> str:
        rng = self.rng
        for _ in range(30):
            i = bisect.bisect_right(self.cum, rng.random() * self.total)
            if i >= len(self.activity):
                i = len(self.activity) - 1
            mid, _, s, e = self.activity[i]
            if s <= ts <= e:
                return mid
        return self.head_of_dept[GROUP_DEPARTMENT]


class FileMaker:
    """Group files: realistic names, version families, date series, hashes."""

    def __init__(self, rng: Random, stamp: Stamp, seed: int) -> None:
        self.rng = rng
        self.stamp = stamp
        self.seed = seed
        self.files: list[dict] = []
        self.families: list[list] = []  # [base title, ext, next version, style]

    @staticmethod
    def content(seed: int, fid: str, name: str) -> bytes:
        return f"groupaudit bench file\nseed={seed}\nid={fid}\nname={name}\n".encode()

    def _date_str(self, ts: int) -> str:
        d = datetime.fromtimestamp(ts, CST)
        form = self.rng.random()
        if form < 0.5:
            return d.strftime("%Y-%m-%d")
        if form < 0.75:
            return d.strftime("%Y%m%d")
        if form < 0.9:
            return f"{d.year}年{d.month}月{d.day}日"
        return d.strftime("%Y.%m")

    def _name(self, ts: int, author: str) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.35:
            topic, ext = rng.choice(FILE_TOPICS)
            parts = [
                self._date_str(ts) if rng.random() < 0.8 else None,
                topic,
                author if rng.random() < 0.7 else None,
            ]
            return " ".join(p for p in parts if p) + "." + ext
        if r < 0.45:
            topic, ext = rng.choice(FILE_TOPICS)
            return f"{rng.choice(COMPANIES)}{topic}.{ext}"
        if r < 0.65:
            if self.families and rng.random() < 0.6:
                fam = rng.choice(self.families)
                base, ext, n, style = fam
                fam[2] += 1
                return base + style.format(n=n, m=n - 1) + "." + ext
            topic, ext = rng.choice(FILE_TOPICS)
            base = rng.choice(["", f"{rng.choice(CITIES)}", f"{rng.choice(COMPANIES)}", "Q3", "Q4"]) + topic
            self.families.append([base, ext, 2, rng.choice(VERSION_STYLES)])
            return base + ("v1" if rng.random() < 0.3 else "") + "." + ext
        if r < 0.80:
            d = datetime.fromtimestamp(ts, CST)
            monday = d - timedelta(days=d.weekday())
            return f"销售周报 {monday.strftime('%Y-%m-%d')} {author}.docx"
        if r < 0.93:
            d = datetime.fromtimestamp(ts, CST)
            return rng.choice(
                [
                    f"IMG_{d.strftime('%Y%m%d_%H%M%S')}.png",
                    f"截图 {d.strftime('%Y-%m-%d')}.png",
                    f"{rng.choice(PRODUCTS)}现场照片.png",
                ]
            )
        return rng.choice(
            [f"{rng.choice(PRODUCTS)}资料包.zip", f"{self._date_str(ts)} {rng.choice(COMPANIES)}投标文件.zip"]
        )

    def add(self, ts: int, uploader: str, author: str) -> dict:
        rng = self.rng
        fid = f"f-{len(self.files) + 1:05d}"
        name = self._name(ts, author)
        ext = name.rsplit(".", 1)[1]
        lo, hi = EXT_SIZES[ext]
        size = _log_uniform(rng, lo, hi)
        updated = None
        if rng.random() < 0.25:
            updated = max(ts, min(TAKEN_TS - 60, ts + rng.randint(600, 60 * DAY)))
        accessed = None
        if rng.random() < 0.6:
            accessed = ts + int(rng.random() * (TAKEN_TS - ts))
        expires = None
        if rng.random() < 0.10:
            expires = ts + rng.randint(30, 180) * DAY
        sha = hashlib.sha256(self.content(self.seed, fid, name)).hexdigest() if rng.random() < 0.9 else None
        rec = {
            "id": fid,
            "name": name,
            "uploader_id": uploader,
            "uploaded_at": ts,
            "updated_at": updated,
            "last_accessed_at": accessed,
            "size_bytes": size,
            "sha256": sha,
            "expires_at": expires,
            "important": rng.random() < 0.05,
            "folder": rng.choice(FOLDERS),
            "download_url": None,
        }
        self.files.append(rec)
        return rec

    def record(self, rec: dict) -> dict:
        out = dict(rec)
        for key in ("uploaded_at", "updated_at", "last_accessed_at", "expires_at"):
            if out[key] is not None:
                out[key] = self.stamp(out[key])
        return out


def is_important(rec: dict) -> bool:
    """The default policy's notion of an important file (POLICY_RULES.md, unbacked_document)."""
    if rec["important"]:
        return True
    name = rec["name"]
    if any(p in name for p in IMPORTANT_PATTERNS):
        return True
    ext = name.rsplit(".", 1)[-1].lower()
    return ext in OFFICE_EXTS and (rec["size_bytes"] or 0) > IMPORTANT_MIN_BYTES


class TextMaker:
    def __init__(self, rng: Random) -> None:
        self.rng = rng

    def _fill(self, template: str) -> str:
        rng = self.rng
        if "{" not in template:
            return template
        return template.format(
            company=rng.choice(COMPANIES),
            product=rng.choice(PRODUCTS),
            city=rng.choice(CITIES),
            place=rng.choice(PLACES),
            weekday=rng.choice(WEEKDAYS_ZH),
            amount=rng.randint(2, 300),
            pct=rng.randint(40, 130),
            n=rng.randint(1, 30),
        )

    def _target(self) -> int:
        r = self.rng.random()
        if r < 0.45:
            return self.rng.randint(10, 25)
        if r < 0.80:
            return self.rng.randint(25, 60)
        return self.rng.randint(60, 120)

    def _pad(self, text: str, target: int, before: bool = False) -> str:
        rng = self.rng
        extra = []
        length = len(text)
        while length < target:
            piece = rng.choice(FILLERS) if rng.random() < 0.6 else self._fill(rng.choice(STATEMENTS))
            if piece in extra or piece == text:
                continue
            extra.append(piece)
            length += len(piece) + 1
        if not extra:
            return text
        if before:
            return "，".join(extra) + "。" + text
        return text + "，" + "，".join(extra) + "。"

    @staticmethod
    def _clip(text: str, limit: int = 120, keep_end: bool = False) -> str:
        if len(text) <= limit:
            return text
        return text[-limit:] if keep_end else text[: limit - 1] + "。"

    def statement(self, prefix: str = "") -> str:
        rng = self.rng
        body = self._fill(rng.choice(STATEMENTS))
        if rng.random() < 0.002:
            body = f"客户联系人电话1{rng.choice('3456789')}{rng.randint(0, 999999999):09d}，请跟进"
        text = self._pad(body, self._target() - len(prefix))
        return self._clip(prefix + text)

    def question(self, prefix: str = "") -> str:
        q = self._fill(self.rng.choice(QUESTIONS))
        target = self._target() - len(prefix)
        text = self._pad(q, target, before=True) if self.rng.random() < 0.5 else q
        return prefix + self._clip(text, 120 - len(prefix), keep_end=True)

    def request(self, prefix: str) -> str:
        return self._clip(prefix + self._fill(self.rng.choice(REQUESTS)))

    def answer(self, prefix: str = "") -> str:
        text = self.rng.choice(ANSWERS)
        if self.rng.random() < 0.6:
            text = self._pad(text, self._target())
        return self._clip(prefix + text)


def generate(messages: int, out_dir: Path, seed: int | None = None) -> dict:
    """Write snapshot, directory and backups for ``messages`` messages; return a summary."""
    if messages < 100:
        raise ValueError("--messages must be at least 100")
    seed = BASE_SEED + messages if seed is None else seed
    rng = Random(seed)
    stamp = Stamp(rng)
    n_members, n_files = scale(messages)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    people = People(rng, n_members)
    files = FileMaker(rng, stamp, seed)
    texts = TextMaker(rng)
    sales_head = people.head_of_dept[GROUP_DEPARTMENT]

    # Files uploaded before the message window (history no longer in the export).
    n_old = n_files * 3 // 10
    old_days = (WINDOW_START_TS - GROUP_CREATED_TS) // DAY - 2
    old_times = sorted(
        GROUP_CREATED_TS
        - 10 * 3600
        + rng.randint(1, old_days) * DAY  # midnight + d days
        + rng.randint(9 * 3600, 19 * 3600)
        for _ in range(n_old)
    )
    for ts in old_times:
        uploader = rng.choice(people.member_ids)
        files.add(ts, uploader, people.name_of[uploader])
    # Messages that upload the remaining files.
    upload_at = set(rng.sample(range(1, messages + 1), n_files - n_old))

    snap_path = out_dir / f"snapshot-{messages}.json"
    tmp_path = out_dir / f".snapshot-{messages}.json.tmp"
    width = max(6, len(str(messages)))
    group = {
        "id": "grp-sales",
        "name": "销售部工作群",
        "kind": "department",
        "department": GROUP_DEPARTMENT,
        "owner_id": sales_head,
        "admin_ids": [sales_head, people.head_of_dept[ADMIN_CENTER], people.admin_member],
        "created_by": sales_head,
        "created_at": GROUP_CREATED.isoformat(),
        "exempt_member_ids": ["u-vp-2"],
        "allowed_external_ids": people.outsiders[: (len(people.outsiders) + 1) // 2],
    }
    n_written = 0
    with open(tmp_path, "w", encoding="utf-8", newline="\n") as out:
        out.write("{\n")
        out.write(f'"schema_version":1,\n"platform":"dingtalk",\n"tenant_id":{_dumps(TENANT)},\n')
        out.write(f'"taken_at":{_dumps(TAKEN_AT.isoformat())},\n"group":{_dumps(group)},\n')
        out.write('"members":[\n')
        for k, m in enumerate(people.members):
            rec = dict(m)
            rec["joined_at"] = stamp(m["joined_at"]) if m["joined_at"] is not None else None
            out.write((",\n" if k else "") + _dumps(rec))
        out.write('\n],\n"messages":[\n')

        recent: deque = deque(maxlen=64)  # (id, sender, is_question, thread_id)
        pending: list[str] = []  # serialized messages of the current shuffle window
        block = 256
        window_blocks = 16
        burst = None  # (sender, text, remaining, ts)
        i = 0

        def flush(force: bool = False) -> None:
            nonlocal n_written, pending
            if not pending or (not force and len(pending) < block * window_blocks):
                return
            blocks = [pending[j : j + block] for j in range(0, len(pending), block)]
            rng.shuffle(blocks)
            for b in blocks:
                if rng.random() < 0.3 and len(b) > 2:  # a few local swaps inside a block
                    j = rng.randrange(len(b) - 1)
                    b[j], b[j + 1] = b[j + 1], b[j]
                for s in b:
                    out.write((",\n" if n_written else "") + s)
                    n_written += 1
            pending = []

        days = _day_counts(rng, messages)
        for d_index, (d, count) in enumerate(days):
            for slot in _day_times(rng, d, count, last_day=(d_index == len(days) - 1)):
                ts = slot
                i += 1
                mid = f"m-{i:0{width}d}"
                msg = {
                    "id": mid,
                    "sender_id": None,
                    "sent_at": None,
                    "type": "text",
                    "text": None,
                    "reply_to_id": None,
                    "thread_id": None,
                    "mentions": [],
                    "mention_all": False,
                    "file_id": None,
                    "urgent": False,
                }
                is_q = False
                if i in upload_at:
                    sender = people.pick(ts)
                    rec = files.add(ts, sender, people.name_of[sender])
                    msg.update(sender_id=sender, type="file", text=rec["name"], file_id=rec["id"])
                elif burst is not None:
                    sender, text, left, bts = burst
                    ts = min(TAKEN_TS - 1, bts + rng.randint(5, 30))
                    msg["sender_id"], msg["text"] = sender, text
                    burst = (sender, text, left - 1, ts) if left > 1 else None
                else:
                    sender = people.pick(ts)
                    msg["sender_id"] = sender
                    r = rng.random()
                    if r < 0.01:
                        bot = rng.choice(BOT_NAMES)[0]
                        msg.update(
                            sender_id=bot,
                            type=rng.choice(["notice", "link", "text"]),
                            text=texts._fill(rng.choice(BOT_TEXTS)),
                        )
                    elif r < 0.80:
                        is_q = _text_message(rng, msg, sender, recent, people, texts)
                        if rng.random() < 0.002:
                            burst = (sender, rng.choice(SHORT_ACKS), rng.randint(2, 3), ts)
                            msg["text"] = burst[1]
                            is_q = False
                        elif rng.random() < 0.0005:
                            msg["text"] = rng.choice(ADS)
                    elif r < 0.87:
                        msg.update(type="image")
                    elif r < 0.91:
                        if files.files:
                            f = files.files[rng.randrange(len(files.files))]
                            msg.update(type="file", text=f["name"], file_id=f["id"])
                        else:
                            msg["text"] = texts.statement()
                    elif r < 0.95:
                        token = "".join(rng.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(12))
                        host = rng.random()
                        url = (
                            f"https://alidocs.dingtalk.com/i/nodes/{token}"
                            if host < 0.8
                            else f"https://mp.weixin.qq.com/s/{token}"
                            if host < 0.97
                            else f"https://www.youhui-promo.cn/a/{token}"
                        )
                        msg.update(type="link", text=f"{url} {rng.choice(FILE_TOPICS)[0]}")
                    elif r < 0.97:
                        msg.update(type="voice")
                    elif r < 0.98:
                        msg.update(type="video")
                    elif r < 0.99:
                        poster = rng.choice(
                            [sales_head, people.head_of_dept[ADMIN_CENTER], people.admin_member]
                        )
                        msg.update(
                            sender_id=poster,
                            type="notice",
                            text=rng.choice(NOTICES),
                            mention_all=rng.random() < 0.3,
                        )
                    else:
                        inviter = rng.choice([sales_head, people.admin_member])
                        who = people.name_of[rng.choice(people.member_ids)]
                        action = rng.random()
                        text = (
                            f"{people.name_of[inviter]} 邀请 {who} 加入了群聊"
                            if action < 0.7
                            else f"{who} 退出了群聊"
                            if action < 0.9
                            else "群名称已修改为 销售部工作群"
                        )
                        msg.update(sender_id=inviter, type="system", text=text)
                msg["sent_at"] = stamp(ts)
                if msg["type"] not in ("system",) and rng.random() < 0.02:
                    msg["urgent"] = True
                recent.append((mid, msg["sender_id"], is_q, msg["thread_id"]))
                pending.append(_dumps(msg))
                flush()
        flush(force=True)
        out.write('\n],\n"files":[\n')
        for k, rec in enumerate(files.files):
            out.write((",\n" if k else "") + _dumps(files.record(rec)))
        out.write("\n]\n}\n")
    os.replace(tmp_path, snap_path)

    # Directory.
    directory = {
        "schema_version": 1,
        "tenant_id": TENANT,
        "people": people.people,
        "departments": [{"name": d, "head_id": people.head_of_dept[d]} for d, _, _ in DEPARTMENTS],
        "leader_ids": list(people.leaders),
        "admin_center_department": ADMIN_CENTER,
    }
    dir_path = out_dir / f"directory-{messages}.json"
    tmp_dir_path = out_dir / f".directory-{messages}.json.tmp"
    with open(tmp_dir_path, "w", encoding="utf-8", newline="\n") as out:
        out.write(json.dumps(directory, ensure_ascii=False, indent=1))
        out.write("\n")
    os.replace(tmp_dir_path, dir_path)

    # Backups: about half of the important files that carry a hash, plus two unrelated objects.
    backups = out_dir / f"backups-{messages}"
    tmp_backups = out_dir / f".backups-{messages}.tmp"
    if tmp_backups.exists():
        shutil.rmtree(tmp_backups)
    tmp_backups.mkdir()
    important = [f for f in files.files if is_important(f)]
    backed = 0
    for k, f in enumerate(f for f in important if f["sha256"]):
        if k % 2 == 0:
            ext = f["name"].rsplit(".", 1)[1]
            (tmp_backups / f"{f['id']}.{ext}").write_bytes(FileMaker.content(seed, f["id"], f["name"]))
            backed += 1
    for k in range(2):
        (tmp_backups / f"orphan-{k + 1}.bin").write_bytes(f"not in the snapshot {seed} {k}\n".encode())
    if backups.exists():
        shutil.rmtree(backups)
    os.replace(tmp_backups, backups)

    return {
        "messages": i,
        "members": len(people.members),
        "files": len(files.files),
        "important_files": len(important),
        "important_with_hash": sum(1 for f in important if f["sha256"]),
        "backed_up": backed,
        "directory_people": len(people.people),
        "snapshot": str(snap_path),
        "snapshot_bytes": snap_path.stat().st_size,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def _text_message(
    rng: Random, msg: dict, sender: str, recent: deque, people: People, texts: TextMaker
) -> bool:
    """Fill a text message: questions, requests, mentions, replies, threads. Returns is_question."""
    is_leaderish = sender in people.leaders or sender in people.heads
    prefix = ""
    mentions: list[str] = []
    r = rng.random()
    if is_leaderish and r < 0.25:
        mentions = rng.sample(people.heads, k=rng.randint(1, 2))
        mentions = [m for m in mentions if m != sender] or [people.heads[0]]
    elif r < 0.115:
        k = 1 if rng.random() < 0.75 else 2
        for _ in range(k):
            m = rng.choice(people.heads) if rng.random() < 0.5 else rng.choice(people.member_ids)
            if m != sender and m not in mentions:
                mentions.append(m)
    if mentions:
        prefix = "".join(f"@{people.name_of[m]} " for m in mentions)
        msg["mentions"] = mentions
    if rng.random() < 0.001:
        msg["mention_all"] = True
        prefix = "@所有人 " + prefix

    is_q = False
    reply = rng.random() < 0.25 and len(recent) > 1
    if reply:
        cands = [x for x in list(recent)[-30:] if x[2] and x[1] != sender]
        target = rng.choice(cands) if cands and rng.random() < 0.6 else recent[rng.randrange(len(recent))]
        if target[0] != msg["id"]:
            msg["reply_to_id"] = target[0]
            if target[3]:
                msg["thread_id"] = target[3]
            elif rng.random() < 0.3:
                msg["thread_id"] = target[0]
            if target[2]:
                head = people.head_of_dept.get(people.dept_of.get(target[1], ""), None)
                if head and head != target[1] and rng.random() < 0.5:
                    msg["sender_id"] = head
        msg["text"] = texts.answer(prefix)
        return False
    if rng.random() < 0.03:
        threads = [x for x in recent if x[3]]
        if threads:
            msg["thread_id"] = rng.choice(threads)[3]
    if mentions and is_leaderish and rng.random() < 0.6:
        msg["text"] = texts.request(prefix)
    elif rng.random() < 0.26:
        msg["text"] = texts.question(prefix)
        is_q = True
    else:
        msg["text"] = texts.statement(prefix)
    return is_q


QUESTION_MARKERS = ("?", "？", "请问", "吗", "怎么", "如何", "是否", "能否", "什么时候", "哪里", "多少")
MESSAGE_FIELDS = (
    "id",
    "sender_id",
    "sent_at",
    "type",
    "text",
    "reply_to_id",
    "thread_id",
    "mentions",
    "mention_all",
    "file_id",
    "urgent",
)
FILE_FIELDS = (
    "id",
    "name",
    "uploader_id",
    "uploaded_at",
    "updated_at",
    "last_accessed_at",
    "size_bytes",
    "sha256",
    "expires_at",
    "important",
    "folder",
    "download_url",
)
MESSAGE_TYPES = {"text", "image", "file", "voice", "video", "link", "notice", "system"}


def _parse_ts(value: str, where: str) -> datetime:
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        raise AssertionError(f"{where}: timestamp without offset: {value!r}")
    return ts


def check(messages: int, out_dir: Path) -> dict:
    """Validate generated files against the contract and the realism targets; return statistics.

    Raises AssertionError on a contract violation. Loads the whole snapshot: meant for the
    10k and 100k sizes (it works at 1M too, with a few GB of memory).
    """
    snap = json.loads((out_dir / f"snapshot-{messages}.json").read_text(encoding="utf-8"))
    directory = json.loads((out_dir / f"directory-{messages}.json").read_text(encoding="utf-8"))
    assert snap["schema_version"] == 1 and snap["platform"] == "dingtalk"
    taken = _parse_ts(snap["taken_at"], "taken_at")
    g = snap["group"]
    assert g["id"] and g["name"] and g["kind"] == "department"
    _parse_ts(g["created_at"], "group.created_at")

    member_ids = [m["id"] for m in snap["members"]]
    assert len(set(member_ids)) == len(member_ids), "duplicate member id"
    members = set(member_ids)
    for m in snap["members"]:
        assert m["id"] and m["display_name"], m
        assert m["role"] in ("owner", "admin", "member")
        if m["joined_at"] is not None:
            assert _parse_ts(m["joined_at"], f"member {m['id']}") <= taken

    file_ids = {f["id"] for f in snap["files"]}
    assert len(file_ids) == len(snap["files"]), "duplicate file id"
    msgs = snap["messages"]
    assert len(msgs) == messages, (len(msgs), messages)
    ids = [m["id"] for m in msgs]
    assert len(set(ids)) == len(ids), "duplicate message id"
    known = set(ids)
    types, lengths = Counter(), Counter()
    stats = Counter()
    last_seen: dict[str, datetime] = {}
    earliest = taken
    prev = None
    for m in msgs:
        assert tuple(m) == MESSAGE_FIELDS, f"{m['id']}: fields {tuple(m)}"
        assert m["id"] and m["sender_id"] in members, m
        assert m["type"] in MESSAGE_TYPES, m
        ts = _parse_ts(m["sent_at"], m["id"])
        assert ts <= taken, m
        earliest = min(earliest, ts)
        if m["sent_at"].endswith("Z"):
            stats["utc_z"] += 1
        if prev is not None and ts < prev:
            stats["out_of_order"] += 1
        prev = ts
        types[m["type"]] += 1
        if m["reply_to_id"] is not None:
            assert m["reply_to_id"] in known and m["reply_to_id"] < m["id"], m
            stats["replies"] += 1
        if m["thread_id"] is not None:
            assert m["thread_id"] in known, m
            stats["threaded"] += 1
        if m["file_id"] is not None:
            assert m["file_id"] in file_ids, m
        assert all(x in members for x in m["mentions"]), m
        stats["mentions"] += bool(m["mentions"])
        stats["mention_all"] += m["mention_all"]
        stats["urgent"] += m["urgent"]
        text = m["text"] or ""
        if m["type"] == "text":
            lengths["<10" if len(text) < 10 else "10-120" if len(text) <= 120 else ">120"] += 1
            if any(q in text for q in QUESTION_MARKERS):
                stats["questions"] += 1
        if m["type"] != "system":
            last_seen[m["sender_id"]] = max(last_seen.get(m["sender_id"], ts), ts)

    hex64 = re.compile(r"^[0-9a-f]{64}$")
    versioned = re.compile(r"(v\d|V\d|第\d版|\(\d\)|副本|最终版|终稿|修订版)\.")
    fstats = Counter()
    for f in snap["files"]:
        assert tuple(f) == FILE_FIELDS, f
        assert f["id"] and f["name"] and f["uploader_id"] in members
        up = _parse_ts(f["uploaded_at"], f["id"])
        assert up <= taken
        for key in ("updated_at", "last_accessed_at"):
            if f[key] is not None:
                assert up <= _parse_ts(f[key], f["id"]) <= taken, f
        if f["expires_at"] is not None:
            _parse_ts(f["expires_at"], f["id"])
            fstats["expires_at"] += 1
        if f["sha256"] is not None:
            assert hex64.match(f["sha256"]), f
            fstats["sha256"] += 1
        assert 10_000 <= f["size_bytes"] <= 20_000_000, f
        fstats["important_flag"] += f["important"]
        fstats["versioned_name"] += bool(versioned.search(f["name"]))
        fstats["important"] += is_important(f)

    people = {p["id"]: p for p in directory["people"]}
    assert len(people) == len(directory["people"]), "duplicate person id"
    for d in directory["departments"]:
        assert people[d["head_id"]]["department"] == d["name"], d
    assert all(x in people for x in directory["leader_ids"])
    assert directory["admin_center_department"] in {d["name"] for d in directory["departments"]}
    for p in directory["people"]:
        date.fromisoformat(p["hired_at"])
        if p["left_at"] is not None:
            date.fromisoformat(p["left_at"])

    hashes = {f["sha256"] for f in snap["files"] if f["sha256"]}
    backup_hashes = [
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((out_dir / f"backups-{messages}").iterdir())
    ]
    backed = sum(1 for h in backup_hashes if h in hashes)
    important_hashed = sum(1 for f in snap["files"] if is_important(f) and f["sha256"])

    cutoff = taken - timedelta(days=30)
    inactive = 0
    for m in snap["members"]:
        if m["is_bot"]:
            continue
        joined = _parse_ts(m["joined_at"], m["id"]) if m["joined_at"] else None
        last = max([t for t in (joined, last_seen.get(m["id"])) if t is not None], default=None)
        if last is None or last < cutoff:
            inactive += 1

    n = len(msgs)
    pct = lambda k: round(100 * stats[k] / n, 1)  # noqa: E731
    return {
        "messages": n,
        "members": len(members),
        "files": len(file_ids),
        "people": len(people),
        "span_days": round((taken - earliest).total_seconds() / 86400, 1),
        "types_pct": {k: round(100 * v / n, 1) for k, v in types.most_common()},
        "text_length": dict(lengths),
        "questions_pct": pct("questions"),
        "mentions_pct": pct("mentions"),
        "replies_pct": pct("replies"),
        "threaded_pct": pct("threaded"),
        "urgent_pct": pct("urgent"),
        "mention_all": stats["mention_all"],
        "utc_z_pct": pct("utc_z"),
        "out_of_order": stats["out_of_order"],
        "members_without_messages": len(members) - len(last_seen),
        "members_inactive_30d": inactive,
        "files_stats": dict(fstats),
        "backups": len(backup_hashes),
        "backups_matching": backed,
        "important_with_hash": important_hashed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, required=True, help="number of messages (e.g. 100000)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=None, help="override the per-size seed")
    parser.add_argument(
        "--check", action="store_true", help="validate existing output for this size instead of generating it"
    )
    args = parser.parse_args(argv)
    if args.check:
        print(json.dumps(check(args.messages, args.out), ensure_ascii=False, indent=1))
        return 0
    try:
        summary = generate(args.messages, args.out, args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
