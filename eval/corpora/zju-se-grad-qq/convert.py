"""Build snapshot.json of the zju-se-grad-qq corpus from the raw QQ export.

The raw file is ``全部消息记录.txt`` of github.com/pangjiuzala/wordFinder (commit
737966c3e3b7c0392339fdfb449546f748b8d36b), a QQ "导出全部消息记录" text export of the group
"2015浙大软院研究生群". This script keeps one contiguous window of it and pseudonymises it:

- every sender (QQ number or e-mail) becomes ``u-NN`` in order of first appearance;
- every person's name becomes a consistent invented name (the study-direction prefix of a
  display name such as ``大数据-`` is kept, the name after it is replaced), also inside the
  message texts and @-mentions; names of non-members found in the texts are replaced too;
- e-mail addresses, phone numbers, staff numbers and QQ numbers in texts are redacted.

Usage: .venv/bin/python eval/corpora/zju-se-grad-qq/convert.py RAW.txt [--out snapshot.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

CST = timezone(timedelta(hours=8))
WINDOW_START = datetime(2016, 7, 19, tzinfo=CST)  # the export's first day
WINDOW_END = datetime(2016, 8, 9, tzinfo=CST)  # exclusive: through 2016-08-08
TAKEN_AT = "2016-08-09T18:00:00+08:00"

HEADER = re.compile(
    r"^(?P<ts>\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}:\d{2}) (?P<name>.*?)(?:\((?P<qq>\d+)\)|<(?P<mail>[^>]*)>)$",
    re.M,
)
PREFIX = re.compile(r"^(?P<prefix>(?:【[^】]+】|[^-－—\s]{1,4}\s?[-－—]\s?|14-|16学弟\s))(?P<rest>.*)$")
SYSTEM_ID = "10000"

SURNAMES = (
    "林周吴郑孙钱冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏"
    "陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎鲁韦昌马苗凤花方俞任袁柳"
)
GIVEN = [
    "一鸣",
    "子涵",
    "思远",
    "雨桐",
    "浩然",
    "欣怡",
    "嘉禾",
    "若溪",
    "明轩",
    "语嫣",
    "宇航",
    "静怡",
    "俊杰",
    "梦琪",
    "天佑",
    "晓彤",
    "志强",
    "佳琪",
    "文博",
    "心怡",
    "泽宇",
    "诗涵",
    "皓轩",
    "雅婷",
    "博文",
    "可馨",
    "睿哲",
    "紫萱",
    "立诚",
    "安琪",
    "景行",
    "书瑶",
    "承泽",
    "依诺",
    "铭远",
    "清妍",
    "致远",
    "慕白",
    "怀瑾",
    "念慈",
    "昊天",
    "沐晨",
    "乐山",
    "知秋",
    "星河",
    "望舒",
    "听雨",
    "观澜",
]
# Full names of people who are not senders but are named in the window's texts.
NAMED_IN_TEXT = ["程双杰", "何维", "刘骞", "王晓旭", "焦守杰", "邓辉", "宣章炯", "童晓亮"]
MISSPELT = {"云瀚": "徐云翰"}  # a misspelling of a member's given name in the texts
# Real names that appear in texts only as given names or nicknames of members.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0\d{2,3}-\d{7,8})(?!\d)")
STAFF_NO = re.compile(r"工号\s*\d+")


def parse(raw: str) -> list[dict]:
    text = raw.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    heads = list(HEADER.finditer(text))
    records = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        records.append(
            {
                "sent": datetime.strptime(head["ts"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST),
                "name": head["name"].strip(),
                "key": head["qq"] or head["mail"],
                "body": text[head.end() : end].strip("\n").strip(),
            }
        )
    return records


class Pseudonyms:
    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.fake: dict[str, str] = {}  # real full name -> invented full name
        self.used: set[str] = set()

    def member(self, key: str) -> str:
        if key not in self.ids:
            self.ids[key] = f"u-{len(self.ids) + 1:02d}"
        return self.ids[key]

    def name(self, real: str) -> str:
        if real not in self.fake:
            n = len(self.fake)
            candidate = SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]
            while candidate in self.used:
                n += 1
                candidate = SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]
            self.used.add(candidate)
            self.fake[real] = candidate
        return self.fake[real]


def split_display(name: str) -> tuple[str, str]:
    """("大数据-", "曹亮") for "大数据-曹亮"; ("", "macro") for a bare nickname."""
    match = PREFIX.match(name)
    if match and match["rest"]:
        return match["prefix"], match["rest"].strip()
    return "", name


def is_person_name(text: str) -> bool:
    return bool(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, help="全部消息记录.txt of pangjiuzala/wordFinder")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("snapshot.json"))
    args = parser.parse_args(argv)
    if not args.raw.is_file():
        print(f"convert: raw export not found: {args.raw}", file=sys.stderr)
        return 2
    everything = parse(args.raw.read_text(encoding="utf-8-sig"))
    records = [r for r in everything if WINDOW_START <= r["sent"] < WINDOW_END]
    if not records:
        print("convert: no messages in the window; is this the right file?", file=sys.stderr)
        return 2

    ps = Pseudonyms()
    latest: dict[str, str] = {}  # member id -> latest display name in the window (real)
    shown_as: dict[str, str] = {}  # every display name of the window -> member id
    first_seen: dict[str, datetime] = {}
    joined: dict[str, datetime] = {}
    for record in records:
        if record["key"] == SYSTEM_ID:
            continue
        uid = ps.member(record["key"])
        first_seen.setdefault(uid, record["sent"])
        shown = record["name"]
        if shown and shown != record["key"]:
            latest[uid] = shown
            shown_as[shown] = uid
    # System join lines ("淑加入本群") date the join of the member with that name.
    for record in records:
        if record["key"] == SYSTEM_ID and record["body"].endswith("加入本群"):
            who = record["body"][: -len("加入本群")]
            if who in shown_as:
                joined[shown_as[who]] = record["sent"]

    # Real names -> invented names, from every display name of the window and the extra list.
    real_names: set[str] = set(NAMED_IN_TEXT)
    for record in records:
        _, rest = split_display(record["name"])
        if is_person_name(rest):
            real_names.add(rest)
    for real in sorted(real_names):
        ps.name(real)

    def fake_display(uid: str) -> str:
        shown = latest.get(uid)
        if not shown:
            return f"成员{uid[2:]}"
        prefix, rest = split_display(shown)
        if rest.endswith("老师") and is_person_name(rest[:-2] or "x"):
            return ps.name(rest[:-2])[0] + "老师"
        if is_person_name(rest):
            return prefix + ps.name(rest)
        return f"{prefix}成员{uid[2:]}"

    displays = {uid: fake_display(uid) for uid in ps.ids.values()}
    # Every display a member used in the window resolves @-mentions to them.
    mention_names: dict[str, str] = {}
    for record in records:
        if record["key"] != SYSTEM_ID and record["name"]:
            mention_names[record["name"]] = ps.ids[record["key"]]
            _, rest = split_display(record["name"])
            if is_person_name(rest):
                mention_names.setdefault(rest, ps.ids[record["key"]])

    def scrub(body: str) -> tuple[str, list[str]]:
        mentions: list[str] = []

        def at(match: re.Match[str]) -> str:
            target = match["who"]
            for shown in sorted(mention_names, key=len, reverse=True):
                if target.startswith(shown):
                    uid = mention_names[shown]
                    mentions.append(uid)
                    return "@" + displays[uid] + target[len(shown) :]
            return match[0]

        body = re.sub(r"@(?P<who>[^\s@]+)", at, body)
        body = EMAIL.sub("<邮箱已隐去>", body)
        body = PHONE.sub("<电话已隐去>", body)
        body = STAFF_NO.sub("工号<已隐去>", body)
        for key, uid in ps.ids.items():
            if key.isdigit() and len(key) >= 5:
                body = body.replace(key, uid)
        for wrong, real in MISSPELT.items():
            body = body.replace(wrong, ps.fake[real][1:])
        for real in sorted(ps.fake, key=len, reverse=True):
            body = body.replace(real, ps.fake[real])
            if len(real) == 3:  # given names used alone ("克西你妹")
                body = body.replace(real[1:], ps.fake[real][1:])
        return body, list(dict.fromkeys(mentions))

    messages = []
    for n, record in enumerate(records, 1):
        body = record["body"]
        if record["key"] == SYSTEM_ID:
            text, _ = scrub(body)
            for real_shown, uid in sorted(mention_names.items(), key=lambda kv: -len(kv[0])):
                text = text.replace(real_shown, displays[uid])
            text = re.sub(r"(?<!\d)\d{6,11}(?!\d)", "<QQ号已隐去>", text)
            messages.append(
                {
                    "id": f"m-{n:04d}",
                    "sender_id": "u-system",
                    "sent_at": record["sent"].isoformat(),
                    "type": "system",
                    "text": text,
                }
            )
            continue
        text, mentions = scrub(body)
        kind = "text"
        if text in ("[图片]", "[表情]"):
            kind = "image"
        message = {
            "id": f"m-{n:04d}",
            "sender_id": ps.ids[record["key"]],
            "sent_at": record["sent"].isoformat(),
            "type": kind,
            "text": text,
        }
        if mentions:
            message["mentions"] = mentions
        messages.append(message)

    members = [
        {
            "id": uid,
            "display_name": displays[uid],
            "role": "member",
            **({"joined_at": joined[uid].isoformat()} if uid in joined else {}),
        }
        for uid in ps.ids.values()
    ]
    members.append({"id": "u-system", "display_name": "系统消息", "is_bot": True})
    snapshot = {
        "schema_version": 1,
        "platform": "generic",
        "tenant_id": "eval-zju-se",
        "taken_at": TAKEN_AT,
        "messages_since": WINDOW_START.isoformat(),
        "group": {"id": "grp-zju-se-grad-2015", "name": "2015浙大软院研究生群", "kind": "other"},
        "members": members,
        "messages": messages,
        "files": [],
    }
    args.out.write_text(json.dumps(snapshot, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"convert: {len(messages)} messages, {len(members)} members -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
