"""overdue_reply: work questions and requests not answered in time.

Who owes an answer (one kind per person, the strictest that applies):

- A question or request **addressed** to people — by @-mention, or by a leading name, title or
  vocative that resolves to one member ("余老师，…", "影子 你…", "张总 …") — is owed by the
  addressees alone:
  - ``leader_request`` (30 min): a company leader's or department head's request, question or
    problem report to a department head (003 第五章 1.2);
  - ``direct_question`` (20 min): an employee's question to the colleagues it addresses (1.1:
    "where the question @-mentions a specific colleague, that colleague");
  - ``mention`` (240 min): any other addressed request, and a head's or leader's question to an
    employee (000 四(一)1).
  It is answered only by the addressee's own answer: a quote or thread reply, an @ of the
  asker, or (lenient matching) their next message that is not directed elsewhere.
- An **unaddressed** work question of an employee is owed by policy: administrative topics by
  the 行政中心 head (``public_question``), others by the asker's department head
  (``direct_question``), and where that head is not in the group, by the 行政中心 head as a
  question with no other owner. It is answered when anyone but the asker answers in time.
- An unaddressed question of a leader or head to the whole group is owed by nobody: the
  policy names no one, and a team's silence is not one person's fault.

A question is recognised per sentence: a sentence ending in ? or ？ (not a bare "？", not a
link's query string), a sentence-final 吗/么, an A-not-A form (是不是, 有没有), a marker such as
请问 or 是否, or a question word in question position ("要填什么", "搞得怎样了") — but not inside
a statement ("不知道怎么写", "有什么问题随时找我", "在哪里就到哪里"), not a phatic "怎么了"/"在吗",
not a social topic, not a reported dialogue, and not the closing line of the sender's own
advert. For an addressed message a request counts too (请/麻烦/尽快 …, never 请 inside 申请,
邀请 or 请假). Every list is configurable; the finding records what matched.

What answers a question, in the default lenient matching (``reply_match: strict`` keeps only
the first kind):

- a quote or thread reply to it, or a message @-mentioning the asker;
- for an addressed question, the addressee's next message that is not directed elsewhere (a
  quote of another message, a reply in another thread, an @ of others only), within a working
  day of the deadline (``reply_horizon_minutes``);
- for a question owed by policy, one of the next few messages of other members
  (``answer_window_messages``) that is not a question, an echo (同问, +1, 不知道), an
  acknowledgement (收到), a broadcast (an announcement, a long pasted advert), a picture, nor
  directed elsewhere, and that comes within ``answer_gap_minutes`` (or within the hour of an
  evening question, before the clock has started) or speaks of the same thing. One answer
  settles one of the questions an asker fires off in one burst.

The finding's evidence says why the person owed the answer (``owed_because``: addressed by @ or
by name, the asker's head, an administrative topic, no other owner), who answered and when, if
anyone did, and the question's opening words (long digit runs masked). The clock is business
time (working hours, Chinese public calendar) unless ``sla_clock: wall``.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time
from functools import cached_property
from itertools import accumulate, compress, tee
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, cast

from pydantic import BaseModel, ConfigDict, Field

from groupaudit.businesstime import WallClock
from groupaudit.contracts import Finding, Message
from groupaudit.rules import questions as q
from groupaudit.rules.base import (
    MAX_MINUTES,
    Example,
    Expected,
    RuleConfig,
    RuleSpec,
    SeverityName,
    make_finding,
)

if TYPE_CHECKING:
    from groupaudit.rules.context import AuditContext, Entry

Kind = Literal["leader_request", "direct_question", "public_question", "mention"]

POLICY_REFS: dict[str, str] = {
    "direct_question": "003 第五章 1.1",
    "leader_request": "003 第五章 1.2",
    "public_question": "003 第五章 1.3",
    "mention": "000 四(一)1; 002 三(三)1-2; 001 五",
}
MANAGER_SANCTION = {"sanction": "performance_points", "points": -3, "policy_ref": "003 第五章 2.3"}
# Why a person owes an answer when nobody addressed them: anyone's timely answer settles these.
BY_POLICY = ("asker_head", "admin_topic", "no_other_owner")


class Deadlines(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    direct_question: int = Field(
        20, ge=1, le=MAX_MINUTES, description="minutes for a department head to answer"
    )
    leader_request: int = Field(
        30, ge=1, le=MAX_MINUTES, description="minutes for a mentioned head to answer a leader"
    )
    public_question: int = Field(30, ge=1, le=MAX_MINUTES, description="minutes for the 行政中心 head")
    mention: int = Field(240, ge=1, le=MAX_MINUTES, description="minutes for a mentioned member")


class OverdueReplyConfig(RuleConfig):
    severity: SeverityName = "violation"
    mention_severity: SeverityName = Field("warning", description="severity of the mention kind")
    sla_clock: Literal["business", "wall"] = Field(
        "business", description="business: working hours on working days; wall: plain minutes"
    )
    reply_match: Literal["lenient", "strict"] = Field(
        "lenient",
        description="strict: only quotes, thread replies and @-mentions of the asker answer; "
        "lenient: also the addressee's next message not directed elsewhere, and, for questions "
        "owed by policy, a following message of another member that plausibly answers",
    )
    deadlines_minutes: Deadlines = Field(default_factory=Deadlines)
    question_markers: tuple[str, ...] = Field(
        (
            "请问",
            "是否",
            "能否",
            "可否",
            "有无",
            "谁知道",
            "有谁",
            "谁有",
            "谁能",
        ),
        description="words that make a sentence a question wherever they stand (a sentence ending "
        "in ? or ？ always is one; A-not-A forms such as 是不是 / 有没有 / 能不能 are too)",
    )
    question_particles: tuple[str, ...] = Field(
        ("吗", "么"), description="sentence-final particles that make a sentence a question"
    )
    question_words: tuple[str, ...] = Field(
        (
            "什么时候",
            "什么",
            "怎么样",
            "怎么",
            "怎样",
            "如何",
            "为什么",
            "为啥",
            "哪里",
            "哪儿",
            "哪个",
            "哪些",
            "哪位",
            "哪天",
            "多少",
            "几点",
            "几号",
            "几楼",
            "几天",
            "啥时候",
            "啥",
            "咋",
        ),
        description="question words: a question only in question position, at or near the "
        "sentence's end (要填什么, 在哪里交), not inside a statement (不知道怎么写)",
    )
    statement_contexts: tuple[str, ...] = Field(
        (
            "不知道",
            "不清楚",
            "不确定",
            "不晓得",
            "不懂",
            "不记得",
            "忘了",
            "我知道",
            "看看",
            "说说",
            "讲讲",
            "聊聊",
            "想想",
            "研究",
            "商量",
            "讨论",
            "决定",
            "明白",
            "了解",
        ),
        description="words before a question word that make it an indirect question in a statement",
    )
    offer_markers: tuple[str, ...] = Field(
        (
            "随时",
            "尽管",
            "欢迎",
            "如果",
            "要是",
            "的话",
            "找我",
            "问我",
            "联系我",
            "私聊",
        ),
        description="words that make a sentence an offer (有什么问题随时找我), not a question",
    )
    phatic_questions: tuple[str, ...] = Field(
        (
            "怎么了",
            "咋了",
            "怎么啦",
            "在吗",
            "在么",
            "在不在",
            "是吗",
            "真的吗",
            "对吧",
            "干嘛",
            "然后呢",
            "你呢",
            "有人吗",
            "吃了吗",
            "什么",
            "啥",
            "为啥",
            "为什么",
            "really",
            "what",
            "huh",
        ),
        description="whole questions that ask nothing of substance (a bare ？ never is one)",
    )
    social_markers: tuple[str, ...] = Field(
        (
            "吃饭",
            "午饭",
            "晚饭",
            "早饭",
            "夜宵",
            "奶茶",
            "外卖",
            "红包",
            "好吃",
            "好玩",
            "游戏",
            "电影",
            "哈哈",
            "嘿嘿",
            "嘻嘻",
            "旅游",
            "生日快乐",
            "asking for a friend",
            "just kidding",
            "haha",
            "lol",
            "lmao",
        ),
        description="topics that make a question social, not a work question",
    )
    request_markers: tuple[str, ...] = Field(
        (
            "请",
            "麻烦",
            "尽快",
            "确认",
            "处理",
            "跟进",
            "反馈",
            "安排",
            "落实",
            "提交",
            "回复",
            "帮忙",
            "帮我",
            "务必",
            "抓紧",
        ),
        description="words that make an addressed message a request (请 not inside 申请, 邀请, "
        "请假; none after 已, 已经, 没, 不)",
    )
    english_request_markers: tuple[str, ...] = Field(
        (
            "please",
            "pls",
            "can you",
            "could you",
            "would you",
            "can someone",
            "could someone",
        ),
        description="English words that make an addressed message a request",
    )
    problem_markers: tuple[str, ...] = Field(
        ("问题", "故障", "异常", "报错", "投诉", "事故"),
        description="words that make a leader's @-mention a problem report",
    )
    public_topic_keywords: tuple[str, ...] = Field(
        (
            "行政",
            "后勤",
            "报销",
            "考勤",
            "请假",
            "办公用品",
            "会议室",
            "食堂",
            "宿舍",
            "门禁",
            "工牌",
            "快递",
            "停车",
            "班车",
            "保洁",
            "打印机",
            "网络",
            "水电",
            "空调",
            "住宿费",
            "住宿",
            "注册",
            "考生号",
            "推荐表",
            "证明",
            "缴费",
            "学费",
            "发票",
            "盖章",
            "公章",
            "档案",
            "户口",
            "社保",
            "公积金",
            "工资条",
            "体检",
            "报到",
            "入职手续",
            "离职手续",
            "介绍信",
            "通知书",
            "校园卡",
        ),
        description="a question containing one of these is for the administration centre",
    )
    echo_phrases: tuple[str, ...] = Field(
        (
            "同问",
            "同求",
            "同",
            "+1",
            "1",
            "顶",
            "蹲",
            "求",
            "我也想知道",
            "我也不知道",
            "我也不清楚",
            "不知道",
            "不清楚",
            "不太清楚",
            "我也是",
            "same",
            "me too",
            "same here",
        ),
        description="messages that repeat a question or say nothing to it: never an answer",
    )
    acknowledgements: tuple[str, ...] = Field(
        (
            "收到",
            "好的",
            "好",
            "嗯",
            "嗯嗯",
            "ok",
            "okay",
            "了解",
            "明白",
            "知道了",
            "谢谢",
            "感谢",
            "多谢",
            "好滴",
            "行",
            "哦",
            "thanks",
            "thank you",
            "thx",
        ),
        description="acknowledgements: an answer from the person who owed it, not from a bystander",
    )
    address_titles: tuple[str, ...] = Field(
        (
            "老师",
            "总",
            "经理",
            "主任",
            "部长",
            "主管",
            "书记",
            "院长",
            "校长",
            "处长",
            "科长",
            "组长",
            "队长",
            "姐",
            "哥",
            "工",
            "秘书",
            "助理",
            "老板",
        ),
        description="titles that address a person after their surname (余老师, 张总)",
    )
    generic_addressees: tuple[str, ...] = Field(
        (
            "老师",
            "老师们",
            "老师好",
            "各位",
            "各位老师",
            "大家",
            "大家好",
            "领导",
            "领导们",
            "同事们",
            "同学们",
            "亲们",
            "大佬",
            "大佬们",
            "诸位",
            "家人们",
            "您好",
            "你好",
            "hi",
            "hello",
            "all",
            "everyone",
            "team",
            "guys",
            "folks",
        ),
        description="openings that address the whole group, not one person",
    )
    answer_gap_minutes: int = Field(
        10,
        ge=0,
        le=MAX_MINUTES,
        description="lenient matching of a question owed by policy: a following message of another "
        "member later than this (wall minutes) answers only if it shares a term with the question",
    )
    reply_horizon_minutes: int = Field(
        450,
        ge=0,
        le=MAX_MINUTES,
        description="lenient matching: a message of the person who owed the answer counts as their "
        "reply only until this many minutes (on the rule's clock) after the deadline; later, only "
        "quotes, thread replies and @-mentions of the asker do (450 = one working day)",
    )
    answer_window_messages: int = Field(
        5,
        ge=1,
        le=20,
        description="lenient matching of a question owed by policy: how many of the following "
        "messages of other members may answer it",
    )

    @cached_property
    def lexicon(self) -> q.Lexicon:
        return q.Lexicon(
            markers=self.question_markers,
            particles=self.question_particles,
            words=self.question_words,
            embedding=self.statement_contexts,
            offers=self.offer_markers,
            phatic=self.phatic_questions,
            social=self.social_markers,
            requests=self.request_markers,
            english_requests=self.english_request_markers,
        )

    @cached_property
    def echoes(self) -> frozenset[str]:
        return q.normalised(self.echo_phrases)

    @cached_property
    def echo_prefixes(self) -> tuple[str, ...]:
        """Echo phrases of two characters or more also echo at the start: 同问+1, 不知道哎."""
        return tuple(sorted(e for e in self.echoes if len(e) >= 2))

    @cached_property
    def acks(self) -> frozenset[str]:
        return q.normalised(self.acknowledgements)


def _find(pattern: re.Pattern[str] | None, text: str) -> str | None:
    if pattern is None:
        return None
    match = pattern.search(text)
    return match.group(0) if match else None


class _Clock(Protocol):
    """Working-time coordinates: ``position(b) - position(a)`` is the time between a and b."""

    def position(self, ts: float) -> float: ...
    def instant(self, position: float) -> float: ...


class _Owed(NamedTuple):  # a tuple: made for every question and person, at C speed
    kind: Kind
    marker: str
    because: str  # addressed_by_mention | addressed_by_name | asker_head | admin_topic | no_other_owner
    detail: str | None = None  # the name token or the topic keyword


def check(ctx: AuditContext, config: OverdueReplyConfig) -> Iterator[Finding]:
    walk = QuestionWalk(ctx, config)
    finding = walk.judge.finding
    for answer in walk.answers():
        if not answer.on_time:
            yield finding(answer)


class Answer(NamedTuple):
    """One question, one person who owes its answer, and that answer (a tuple: one is made for
    every question and person, at C speed)."""

    position: int  # the question's place in the conversation's time order
    entry: Entry  # the question: (ts, id, message)
    person: str  # who owes the answer
    owed: _Owed  # the kind of question and why this person owes it
    deadline: int  # seconds on the rule's clock
    asked: float  # the question's position on the rule's clock
    due: float  # the deadline's position on the rule's clock
    reply: Entry | None  # the answer that counts (see _Judge.settle); None: none so far
    on_time: bool  # the reply came by the deadline


class QuestionWalk:
    """The walk over one audit's questions: which message asks something, who owes each answer
    and when it came. The rule's ``check`` makes a finding of each answer that is not on time;
    the monthly report's figures (``supervision/report_figures.py``) count every one, so both
    see exactly the same questions, owed people and answers."""

    def __init__(self, ctx: AuditContext, config: OverdueReplyConfig) -> None:
        self.ctx = ctx
        self.config = config
        self.clock: _Clock = (
            ctx.policy.business_calendar if config.sla_clock == "business" else WallClock(ctx.tz)
        )
        self.conversation = _Conversation.of(ctx)
        self.judge = _Judge(ctx, config, self.clock, self.conversation)
        self.reader = _Reader(ctx, config)

    def questions(self) -> Iterator[tuple[int, Entry, dict[str, _Owed]]]:
        """(position, entry, who owes what) of each message that asks something of somebody,
        in time order: not a bot's, and not the closing line of the sender's own advert."""
        bots = self.ctx.bots
        owed_by = self.reader.owed
        ordered = self.conversation.ordered
        found = _candidates(self.conversation, self.config.lexicon.patterns, self.reader.names)
        for position, cued, address in found:
            entry = ordered[position]
            message = entry[2]
            if message.sender_id in bots:
                continue
            owed = owed_by(message, message.text or "", cued, address)
            if not owed:
                continue
            if (
                position
                and ordered[position - 1][2].sender_id == message.sender_id  # (_same_turn's first test)
                and _is_broadcast(ordered[position - 1][2])
                and _same_turn(ordered, position - 1, position)
            ):
                continue  # "还有人没上车么" after the sender's own advert: part of the advert
            yield position, entry, owed

    def answers(self, *, not_due: bool = False) -> Iterator[Answer]:
        """Each question and person who owes its answer, with the answer, in time order: those
        past their deadline, and with ``not_due`` also those not yet due that are answered
        already (a question neither due nor answered is pending: never yielded)."""
        settle = self.judge.settle
        for position, entry, owed in self.questions():
            for person, item in owed.items():
                answer = settle(position, entry, person, item, not_due)
                if answer is not None:
                    yield answer


def _is_broadcast(message: Message) -> bool:
    """An announcement, or a long pasted text (an advert, a notice): nobody's answer."""
    text = message.text or ""
    return message.type == "notice" or len(text) > _BROADCAST_CHARS or text.count("\n") >= _BROADCAST_LINES


def _same_turn(ordered: list[Entry], first: int, last: int) -> bool:
    """Are the messages from ``first`` to ``last`` one sender's, each close to the one before?"""
    sender = ordered[first][2].sender_id
    for index in range(first + 1, last + 1):
        entry = ordered[index]
        if entry[2].sender_id != sender or entry[0] - ordered[index - 1][0] > _TURN_SECONDS:
            return False
    return True


_ID, _MESSAGE = itemgetter(1), itemgetter(2)
_TEXT, _MENTIONS = attrgetter("text"), attrgetter("mentions")
_REPLY_FIELDS = attrgetter("reply_to_id", "thread_id")
_NO_TEXT = {None: ""}


def _candidates(
    conversation: _Conversation, pats: q.Patterns, names: q.NameIndex
) -> list[tuple[int, bool, q.Address | None]]:
    """The positions of the messages that may ask something, whether each has a question cue,
    and the opening name of those that have neither a cue nor an @: those with a cue, those
    with an @, and requests opening with a name. The cue and request words are searched over
    all texts joined (C speed), not message by message."""
    # no text: "" (in C); every None is mapped, so each item is a str
    texts = cast("list[str]", list(map(_NO_TEXT.get, *tee(map(_TEXT, conversation.messages)))))
    blob = "\x00".join(texts)  # no cue or request word contains NUL: no match spans two texts
    starts = list(accumulate(map((1).__add__, map(len, texts)), initial=0))
    cued = _hits(pats.cue, blob, starts)
    found: dict[int, tuple[int, bool, q.Address | None]] = {p: (p, True, None) for p in cued}
    for position in conversation.mentioned:
        if position not in found:
            found[position] = (position, False, None)
    requests = [p.search for p in (pats.request, pats.english_request) if p is not None]
    if requests and names.first_chars:
        # A request with no @ is addressed only by an opening name: look at the texts that open
        # with a character a name can start with, found over the blob at C speed, and hold a
        # request word (Chinese or English: "影子，帮忙…", "影子, please send…").
        opening = q.opening_token
        starting = re.compile("\x00\\s*[" + "".join(sorted(map(re.escape, names.first_chars))) + "]")
        for match in starting.finditer("\x00" + blob):
            position = bisect_right(starts, match.start()) - 1
            if position in found:
                continue
            text = texts[position]
            if all(search(text) is None for search in requests):
                continue
            if "@" in text or "://" in text or "www." in text:
                address = q.leading_address(text, names)
            else:
                token = opening(text)
                address = names.resolve(token) if token is not None else None
            if address is not None:
                found[position] = (position, False, address)
    return [found[position] for position in sorted(found)]


def _hits(pattern: re.Pattern[str], blob: str, starts: list[int]) -> list[int]:
    """Positions of the texts in which ``pattern`` matches, searching ``blob`` once."""
    out: list[int] = []
    search, pos = pattern.search, 0
    while (match := search(blob, pos)) is not None:
        position = bisect_right(starts, match.start()) - 1
        out.append(position)
        pos = starts[position + 1]
    return out


class _Reader:
    """Who owes an answer to a message, and why (see the module's docstring)."""

    def __init__(self, ctx: AuditContext, config: OverdueReplyConfig) -> None:
        self.ctx = ctx
        self.config = config
        self.lexicon = config.lexicon
        self.problems = q.compile_words(config.problem_markers)
        self.public = q.compile_words(config.public_topic_keywords)
        self.names = _name_index(ctx, config)
        self.with_directory = ctx.directory is not None
        self.leads = ctx.leaders | ctx.heads
        self.answerable = frozenset(ctx.members) - ctx.bots  # who can owe an answer
        self._asks: dict[str, str | None] = {}
        self._sentences: q.Judged = {}  # the question reading of each distinct sentence
        self._requests: dict[str, str | None] = {}
        self._addresses: dict[str, q.Address | None] = {}
        self._topics: dict[str, str | None] = {}
        self._heads: dict[str, str | None] = {}

    # What a text says is read once per distinct text (a group repeats its questions and
    # requests: the same form, the same reminder, the same opening name).

    def asks(self, text: str) -> str | None:
        """The question marker of a text with a question cue."""
        asks = self._asks
        if text in asks:
            return asks[text]
        marker = asks[text] = q.question_marker(text, self.lexicon, searched=True, judged=self._sentences)
        return marker

    def requests(self, text: str) -> str | None:
        """The request word of a text."""
        requests = self._requests
        if text in requests:
            return requests[text]
        marker = requests[text] = q.request_marker(text, self.lexicon)
        return marker

    def address(self, text: str) -> q.Address | None:
        """Whom a text's opening words address."""
        addresses = self._addresses
        if text in addresses:
            return addresses[text]
        address = addresses[text] = q.leading_address(text, self.names)
        return address

    def owed(
        self, message: Message, text: str, cued: bool = True, address: q.Address | None = None
    ) -> dict[str, _Owed]:
        """``cued``: whether the text has a question cue at all (the caller searched for one);
        ``address``: its leading address, where the caller already read it."""
        ctx, sender = self.ctx, message.sender_id
        mentioned = tuple(dict.fromkeys(message.mentions)) if message.mentions else ()
        question = self.asks(text) if cued else None
        request = None if question else self.requests(text)
        if question is None and request is None and not (mentioned and sender in self.leads):
            return {}  # asks nothing (a leader's @ may still report a problem)
        if address is None and not mentioned:
            address = self.address(text)
        addressees: tuple[str, ...] = mentioned or (tuple(address.members) if address else ())
        if question is None and not addressees:
            return {}
        owed: dict[str, _Owed] = {}
        if addressees or address is not None:  # addressed: the addressees alone (maybe nobody)
            because = "addressed_by_mention" if mentioned else "addressed_by_name"
            token = address.token if address else None
            for person in addressees:
                item = self._addressed(sender, person, text, question, request, because, token)
                if item is not None:
                    self._owe(owed, sender, person, item)
        elif self.with_directory and question and sender not in self.leads:
            admin_head = ctx.admin_center_head
            topics = self._topics
            topic = topics[text] if text in topics else topics.setdefault(text, _find(self.public, text))
            if topic:
                self._owe(owed, sender, admin_head, _Owed("public_question", question, "admin_topic", topic))
            else:
                heads = self._heads
                head = heads[sender] if sender in heads else heads.setdefault(sender, ctx.head_of(sender))
                self._owe(owed, sender, head, _Owed("direct_question", question, "asker_head"))
                if not owed:
                    self._owe(owed, sender, admin_head, _Owed("public_question", question, "no_other_owner"))
        return owed

    def _addressed(
        self,
        sender: str,
        person: str,
        text: str,
        question: str | None,
        request: str | None,
        because: str,
        token: str | None,
    ) -> _Owed | None:
        ctx = self.ctx
        if self.with_directory and sender in self.leads and person in ctx.heads:
            marker = question or request or _find(self.problems, text)
            if marker:
                return _Owed("leader_request", marker, because, token)
        marker = question or request
        if marker is None:
            return None
        if self.with_directory and question and sender not in self.leads:
            return _Owed("direct_question", marker, because, token)  # 003 第五章 1.1: the colleague asked
        return _Owed("mention", marker, because, token)

    def _owe(self, owed: dict[str, _Owed], sender: str, person: str | None, item: _Owed) -> None:
        if person in self.answerable and person != sender:
            owed.setdefault(person, item)


def _name_index(ctx: AuditContext, config: OverdueReplyConfig) -> q.NameIndex:
    people = ctx.people
    rows = []
    for member in ctx.snapshot.members or ():
        if member.is_bot:
            continue
        names = q.name_parts(member.display_name)
        person = people.get(member.id)
        real = person.name if person is not None else names[-1]
        if person is not None:
            names.append(person.name)
        rows.append((member.id, names, real))
    return q.build_name_index(rows, config.address_titles, config.generic_addressees)


@dataclass
class _Conversation:
    """The timeline in time order, and the indexes answers are looked up in (built once per
    audit, each only when first needed)."""

    ordered: list[Entry]
    ctx: AuditContext

    @classmethod
    def of(cls, ctx: AuditContext) -> _Conversation:
        cached = ctx.__dict__.get("_overdue_conversation")
        if cached is None:
            cached = cls(sorted(ctx.timeline), ctx)
            ctx.__dict__["_overdue_conversation"] = cached
        return cached

    @cached_property
    def messages(self) -> list[Message]:
        return list(map(_MESSAGE, self.ordered))

    @cached_property
    def replies(self) -> dict[str, list[Entry]]:
        """Quotes and thread replies by the message they answer, in time order."""
        out: dict[str, list[Entry]] = {}
        # Only the messages that quote or reply in a thread, picked out in C.
        for entry in compress(self.ordered, map(any, map(_REPLY_FIELDS, self.messages))):
            message = entry[2]
            if message.reply_to_id:
                out.setdefault(message.reply_to_id, []).append(entry)
            thread = message.thread_id
            if thread and thread not in (message.id, message.reply_to_id):
                out.setdefault(thread, []).append(entry)
        return out

    @cached_property
    def mentioned(self) -> list[int]:
        """The positions of the messages that @-mention somebody, picked out in C once for the
        question candidates and the indexes of mentions."""
        return list(compress(range(len(self.ordered)), map(_MENTIONS, self.messages)))

    @cached_property
    def _mention_indexes(self) -> tuple[dict[str, list[Entry]], dict[tuple[str, str], list[Entry]]]:
        """``mentioning`` and ``mentioning_by``, made in one pass over the messages that mention."""
        by_person: dict[str, list[Entry]] = {}
        by_pair: dict[tuple[str, str], list[Entry]] = {}
        ordered = self.ordered
        for position in self.mentioned:
            entry = ordered[position]
            message = entry[2]
            sender = message.sender_id
            for person in message.mentions or ():
                by_person.setdefault(person, []).append(entry)
                by_pair.setdefault((sender, person), []).append(entry)
        return by_person, by_pair

    @property
    def mentioning(self) -> dict[str, list[Entry]]:
        """Messages by the member they @-mention, in time order."""
        return self._mention_indexes[0]

    @property
    def mentioning_by(self) -> dict[tuple[str, str], list[Entry]]:
        """Messages by (sender, member they @-mention), in time order."""
        return self._mention_indexes[1]

    @cached_property
    def _ids_of(self) -> dict[str, frozenset[str]]:
        return {}

    def ids_of(self, sender: str) -> frozenset[str]:
        """The ids of the sender's messages, made for a sender when first asked: to tell a quote
        of the asker's own message from a quote of someone else's, the askers' few messages are
        enough (an index of the sender of every quoted message costs a probe per message)."""
        found = self._ids_of.get(sender)
        if found is None:
            found = self._ids_of[sender] = frozenset(map(_ID, self.ctx.messages_of(sender)))
        return found

    @staticmethod
    def answers(question: Entry, message: Message) -> bool:
        """Does ``message`` quote the question, reply in its thread, or @ its asker?"""
        asked = question[2]
        return (
            message.reply_to_id == question[1]
            or (message.thread_id is not None and message.thread_id in (question[1], asked.thread_id))
            or asked.sender_id in (message.mentions or ())
        )

    def elsewhere(self, question: Entry, message: Message) -> bool:
        """Is ``message`` directed at another conversation than the question's: a quote of
        someone else's message, a reply in another thread, an @ of others only?"""
        asked = question[2]
        asker = asked.sender_id
        target = message.reply_to_id
        if target and target != question[1] and target not in self.ids_of(asker):
            return True
        thread = message.thread_id
        if thread and thread != message.id and thread not in (question[1], asked.thread_id):
            return True
        if asked.thread_id and asked.thread_id != question[1] and thread != asked.thread_id:
            return True  # the question is inside a thread: its answer would be there too
        mentions = message.mentions
        return bool(mentions and asker not in mentions)


class _Judge:
    """Decides whether one question was answered in time for one person."""

    def __init__(
        self, ctx: AuditContext, config: OverdueReplyConfig, clock: _Clock, conversation: _Conversation
    ) -> None:
        self.ctx = ctx
        self.config = config
        self.clock = clock
        self.conversation = conversation
        self.now_position = clock.position(ctx.now_ts)
        self.strict = config.reply_match == "strict"
        self.deadlines = {kind: minutes * 60 for kind, minutes in config.deadlines_minutes}  # seconds
        self.horizon = config.reply_horizon_minutes * 60
        self._iso: dict[float, str] = {}
        # A finding's parts, each made once (see the methods of the same names).
        self._subjects: dict[tuple[str, Kind], tuple[str, dict[str, Any] | None]] = {}
        self._names: dict[str, str] = {}
        self._whys: dict[tuple[str, str | None], str] = {}
        self._spans: dict[int, str] = {}
        self._excerpts: dict[str | None, str | None] = {}
        self._buckets: dict[str, list[Entry]] = {}  # each person's messages in time order
        self._answer_kinds: dict[str, Literal["unread", "never", "text"]] = {}  # by message id
        self._terms: dict[str, frozenset[str]] = {}
        # The minutes of a working day on the business clock (None: the wall clock's days).
        periods = getattr(clock, "periods", None) if config.sla_clock == "business" else None
        self.day_minutes = _working_day_minutes(periods) if periods else None
        self._positions: dict[float, float] = {}  # see ``position``
        self._instants: dict[float, float] = {}  # see ``instant``
        # The last question owed by policy: (asker, position, the ids of the answers taken by
        # the questions of its burst).
        self._last: tuple[str, int, frozenset[str]] | None = None

    def position(self, ts: float) -> float:
        """``clock.position(ts)``, once per distinct instant: a question's time is looked up for
        every person who owes its answer, an answer's for every question it may answer."""
        found = self._positions.get(ts)
        if found is None:
            found = self._positions[ts] = self.clock.position(ts)
        return found

    def instant(self, position: float) -> float:
        """``clock.instant(position)``, once per distinct position (a question's due time is the
        same for every person who owes it the same kind of answer)."""
        found = self._instants.get(position)
        if found is None:
            found = self._instants[position] = self.clock.instant(position)
        return found

    def settle(
        self, position: int, entry: Entry, person: str, owed: _Owed, not_due: bool = False
    ) -> Answer | None:
        """The answer to one question owed by one person: the person's own (their next message
        not directed elsewhere, in lenient matching, or a quote, thread reply or @ of the asker),
        or, for a question owed by policy, anyone's earlier one where the person's own did not
        come in time. None while the question is not due yet (unless ``not_due``: then None only
        while it is neither due nor answered)."""
        asked_ts = entry[0]
        asked = self.position(asked_ts)
        deadline = self.deadlines[owed.kind]
        due_position = asked + deadline
        due = self.now_position > due_position  # (no working time has passed since it fell due)
        if not due and not not_due:
            return None
        # The person's own answer (the first of: their next message not directed elsewhere, in
        # lenient matching, a quote, a thread reply, an @ of the asker). In time: within the
        # deadline on the wall clock (business time never runs faster), or on the rule's clock.
        next_own = None if self.strict else self.next_own(entry, person)
        horizon = self.horizon
        reply = self.own_answer(entry, person, due_position + horizon, deadline + horizon, next_own)
        if reply is not None and (reply[0] - asked_ts <= deadline or self.position(reply[0]) <= due_position):
            return Answer(position, entry, person, owed, deadline, asked, due_position, reply, True)
        on_time = False  # the person's own answer, if any, came late
        if owed.because in BY_POLICY:
            anyone = self.anyones_answer(position, entry)
            if anyone is not None and (reply is None or anyone < reply):
                reply = anyone
                on_time = anyone[0] - asked_ts <= deadline or self.position(anyone[0]) <= due_position
        if reply is None and not due:
            return None  # neither due nor answered: pending
        return Answer(position, entry, person, owed, deadline, asked, due_position, reply, on_time)

    def next_own(self, question: Entry, person: str) -> Entry | None:
        """The person's first message after the question that is not directed elsewhere,
        among their next ``_SCAN``: their answer in lenient matching, unless a quote, a thread
        reply or an @ of the asker came first or it is past the horizon (``own_answer``)."""
        bucket = self._buckets.get(person)
        if bucket is None:
            bucket = self._buckets[person] = self.ctx.messages_of(person)
        start = bisect_right(bucket, question)
        # _Conversation.elsewhere, inlined: the question's side is the same for every candidate.
        question_id, asker, asked_thread = question[1], question[2].sender_id, question[2].thread_id
        in_thread = bool(asked_thread) and asked_thread != question_id
        ids_of = self.conversation.ids_of
        for index in range(start, min(start + _SCAN, len(bucket))):
            candidate = bucket[index]
            message = candidate[2]
            target, thread, mentions = message.reply_to_id, message.thread_id, message.mentions
            if target and target != question_id and target not in ids_of(asker):
                continue  # a quote of someone else's message
            if thread and thread not in (message.id, question_id, asked_thread):
                continue  # a reply in another thread
            if in_thread and thread != asked_thread:
                continue  # the question is inside a thread: its answer would be there too
            if mentions and asker not in mentions:
                continue  # an @ of others only
            return candidate
        return None

    def own_answer(
        self, question: Entry, person: str, horizon: float, within: float, next_own: Entry | None
    ) -> Entry | None:
        """The person's answer: their first later message that quotes the question, replies in
        its thread or @s the asker, or (lenient) ``next_own``, their next message not directed
        elsewhere, up to the ``horizon`` position (any message within ``within`` wall seconds
        of the question is inside it)."""
        conversation = self.conversation
        asked = question[2]
        best: Entry | None = None
        for key in (question[1], asked.thread_id):
            entries = conversation.replies.get(key, ()) if key else ()  # a few: one thread's
            for index in range(bisect_right(entries, question) if entries else 0, len(entries)):
                if entries[index][2].sender_id == person:
                    if best is None or entries[index] < best:
                        best = entries[index]
                    break
        mentions = conversation.mentioning_by.get((person, asked.sender_id), ())
        index = bisect_left(mentions, question) if mentions else 0
        while index < len(mentions) and mentions[index] <= question:
            index += 1
        if index < len(mentions) and (best is None or mentions[index] < best):
            best = mentions[index]
        if self.strict or next_own is None or (best is not None and next_own >= best):
            return best
        sure = question[0] + within  # business time never runs faster than the wall clock
        if next_own[0] > sure and self.position(next_own[0]) > horizon:
            return best  # too late to be taken for an answer without quoting or @-ing
        return next_own

    def anyones_answer(self, position: int, question: Entry) -> Entry | None:
        """For a question owed by policy: the first answer of anyone but the asker — a quote,
        a thread reply or an @ of the asker, or (lenient) one of the next few messages of others
        that is not itself a question, an echo or an acknowledgement, nor directed elsewhere."""
        conversation = self.conversation
        asker = question[2].sender_id
        bots = self.ctx.bots
        best: Entry | None = None
        for key in (question[1], question[2].thread_id):
            entries = conversation.replies.get(key, ()) if key else ()
            for index in range(bisect_right(entries, question) if entries else 0, len(entries)):
                candidate = entries[index]
                if candidate[2].sender_id != asker and candidate[2].sender_id not in bots:
                    best = candidate if best is None or candidate < best else best
                    break
        mentions = conversation.mentioning.get(asker, [])
        for index in range(bisect_left(mentions, question), len(mentions)):
            candidate = mentions[index]
            sender = candidate[2].sender_id
            if candidate > question and sender != asker and sender not in bots:
                best = candidate if best is None or candidate < best else best
                break
        # Questions in one burst of the asker's ("有人去过吗？" "要准备什么吗？"): one answer
        # settles one of them, not two.
        last = self._last
        taken: frozenset[str] = (
            last[2]
            if last and last[0] == asker and _same_turn(conversation.ordered, last[1], position)
            else frozenset()
        )
        if not self.strict:
            ordered, seen = conversation.ordered, 0
            for index in range(position + 1, len(ordered)):
                candidate = ordered[index]
                if best is not None and candidate >= best:
                    break
                message = candidate[2]
                if message.sender_id == asker or message.sender_id in bots:
                    continue
                if candidate[1] not in taken and self._plausible(question, candidate):
                    best = candidate
                    break
                seen += 1
                if seen >= self.config.answer_window_messages:
                    break
        self._last = (asker, position, taken | {best[1]} if best else taken)
        return best

    def _plausible(self, question: Entry, candidate: Entry) -> bool:
        """Could this message of another member be the answer to the question? Not when it is
        directed elsewhere, an echo, an acknowledgement or a question itself; and past
        ``answer_gap_minutes`` only when it speaks of the same thing (shares a term)."""
        message = candidate[2]
        if self.conversation.elsewhere(question, message):
            return False
        kind = self._answer_kinds.get(candidate[1])
        if kind is None:
            kind = self._answer_kinds[candidate[1]] = self._answer_kind(message)
        if kind == "never":
            return False
        gap = candidate[0] - question[0]
        prompt = gap <= self.config.answer_gap_minutes * 60 or (
            gap <= _OFF_HOURS_GAP and self.position(candidate[0]) <= self.position(question[0])
        )  # soon, or in the same evening before the clock has even started
        if kind == "unread":
            # A shared file often is the answer; a picture or a voice note we cannot read.
            return prompt and message.type == "file"
        return prompt or not self.terms(question[2].text or "").isdisjoint(self.terms(message.text or ""))

    def _answer_kind(self, message: Message) -> Literal["unread", "never", "text"]:
        """What a message can be as an answer, whatever the question (once per message): a
        file, picture or voice note (``unread``), ``never`` an answer (a broadcast, an echo, an
        acknowledgement, a question), or a ``text`` that may answer."""
        config, text = self.config, message.text
        if message.type in ("image", "video", "voice", "link") or not text:
            return "unread"
        if _is_broadcast(message):
            return "never"  # an announcement or a pasted advert answers nobody's question
        content = q.content_of(text)
        if not content or content in config.echoes or content in config.acks:
            return "never"
        if config.echo_prefixes and content.startswith(config.echo_prefixes):
            return "never"
        if q.question_marker(text, config.lexicon) is not None:
            return "never"
        return "text"

    def terms(self, text: str) -> frozenset[str]:
        """``q.terms(text)``, once per distinct text."""
        found = self._terms.get(text)
        if found is None:
            found = self._terms[text] = q.terms(text)
        return found

    def local_iso(self, ts: float) -> str:
        """``local_iso(ctx, ts)``, each instant formatted once (the askers' times repeat for
        every person a question is owed by; due times repeat within a working period)."""
        iso = self._iso.get(ts)
        if iso is None:
            iso = self._iso[ts] = datetime.fromtimestamp(ts, self.ctx.tz).isoformat(timespec="seconds")
        return iso

    def _subject(self, person: str, kind: Kind) -> tuple[str, dict[str, Any] | None]:
        """The person's name and the sanction their finding of ``kind`` recommends, once per
        (person, kind): a late head owes many findings."""
        key = (person, kind)
        found = self._subjects.get(key)
        if found is None:
            ctx = self.ctx
            manager = kind != "mention" and (person in ctx.heads or person in ctx.leaders)
            found = self._subjects[key] = (ctx.name(person), MANAGER_SANCTION if manager else None)
        return found

    def _name(self, member_id: str) -> str:
        """``ctx.name(member_id)``, once per member (the askers and answerers repeat)."""
        found = self._names.get(member_id)
        if found is None:
            found = self._names[member_id] = self.ctx.name(member_id)
        return found

    def _why(self, owed: _Owed) -> str:
        """Why the person owed the answer, in the audit's language, once per reason and detail."""
        key = (owed.because, owed.detail)
        found = self._whys.get(key)
        if found is None:
            table = _WHY_EN if self.ctx.lang == "en" else _WHY_ZH
            found = self._whys[key] = table[owed.because].format(detail=owed.detail)
        return found

    def _lateness(self, minutes: int) -> str:
        """``_lateness(minutes, …)``, once per distinct number of minutes."""
        found = self._spans.get(minutes)
        if found is None:
            found = self._spans[minutes] = _lateness(minutes, self.day_minutes, self.ctx.lang)
        return found

    def _excerpt(self, text: str | None) -> str | None:
        """``_excerpt(text)``, once per distinct question text (one per person who owes it)."""
        if text in self._excerpts:
            return self._excerpts[text]
        found = self._excerpts[text] = _excerpt(text)
        return found

    def finding(self, answer: Answer) -> Finding:
        """The finding of an answer that did not come on time (or has not come)."""
        entry, person, owed, reply = answer.entry, answer.person, answer.owed, answer.reply
        deadline, due_position = answer.deadline // 60, answer.due
        overdue_seconds = (self.position(reply[0]) if reply else self.now_position) - due_position
        overdue = math.ceil(overdue_seconds / 60)
        ctx, config = self.ctx, self.config
        asked_ts, question_id, question = entry
        asker = question.sender_id
        answered_by = reply[2].sender_id if reply else None
        because = owed.because
        evidence: dict[str, Any] = {
            "asker_id": asker,
            "responsible_id": person,
            "owed_because": because,
            "addressed_as": owed.detail if because == "addressed_by_name" else None,
            "topic": owed.detail if because == "admin_topic" else None,
            "asked_at": (asked_at := self.local_iso(asked_ts)),
            "due_at": self.local_iso(self.instant(due_position)),
            "replied_at": self.local_iso(reply[0]) if reply else None,
            "reply_message_id": reply[1] if reply else None,
            "answered_by": answered_by,
            "overdue_minutes": overdue,
            "deadline_minutes": deadline,
            "sla_clock": config.sla_clock,
            "reply_match": config.reply_match,
            "marker": owed.marker,
            "question": self._excerpt(question.text),
        }
        who, sanction = self._subject(person, owed.kind)
        if sanction is not None:
            evidence["recommended_sanction"] = sanction
        by, when = self._name(asker), f"{asked_at[5:10]} {asked_at[11:16]}"
        other = answered_by if answered_by is not None and answered_by != person else None
        span = self._lateness(overdue)
        why = self._why(owed)
        if ctx.lang == "en":
            late = f"replied {span} late" if reply else f"{span} overdue, no reply yet"
            if other:
                late = f"first answered by {self._name(other)}, {span} late"
            summary = f"{who} did not answer {by}'s question of {when} within {deadline} min ({late}; {why})"
        else:
            state = f"回复晚了 {span}" if reply else f"已逾期 {span}未回复"
            if other:
                state = f"{self._name(other)} 晚 {span}才答复"
            summary = f"{who} 未在 {deadline} 分钟内回复 {by} {when} 的提问（{state}；{why}）"
        return make_finding(
            ctx,
            rule=RULE,
            config=config,
            key=(question_id, person),
            kind=owed.kind,
            severity=config.mention_severity if owed.kind == "mention" else None,
            subject_id=person,
            message_id=question_id,
            policy_ref=POLICY_REFS[owed.kind],
            summary=summary,
            evidence=evidence,
        )


_WHY_ZH = {
    "addressed_by_mention": "提问 @ 了其本人",
    "addressed_by_name": "提问以称呼「{detail}」开头",
    "asker_head": "按制度由提问人的部门负责人答复",
    "admin_topic": "行政事务（{detail}）按制度由行政中心负责人答复",
    "no_other_owner": "无其他负责人，按制度由行政中心负责人答复",
}
_WHY_EN = {
    "addressed_by_mention": "the question @-mentioned them",
    "addressed_by_name": "the question opened with '{detail}'",
    "asker_head": "by policy the asker's department head answers",
    "admin_topic": "by policy an administrative topic ({detail}) is the admin centre head's",
    "no_other_owner": "no other owner, so by policy the admin centre head",
}
_DIGITS = re.compile(r"\d{5,}")
_SCAN = 20  # how many of an addressee's later messages lenient matching looks at
_OFF_HOURS_GAP = 3600  # seconds: an evening answer within the hour settles an evening question
_BROADCAST_CHARS = 200  # longer messages, or ones of more lines, are broadcasts, not answers
_BROADCAST_LINES = 3
_TURN_SECONDS = 120  # one sender's messages this close together, nobody else between, are one turn


def _working_day_minutes(periods: list[tuple[time, time]]) -> int:
    """The minutes of a working day: its working periods added up (09:00-12:00 and 13:30-18:00
    make 450)."""
    return sum((end.hour * 60 + end.minute) - (start.hour * 60 + start.minute) for start, end in periods)


def _lateness(minutes: int, day_minutes: int | None, lang: str) -> str:
    """How late, for a person to read: minutes under an hour, then hours to one decimal, then
    days, with the exact minutes beside them. ``day_minutes``: the length of a working day on
    the business clock (the hours and days are then working ones), None on the wall clock:
    "45 分钟", "2.5 个工作小时（150 工作分钟）", "13.9 个工作日（6270 工作分钟）"; "1.0 days (1500 min)"."""
    if minutes < 60:
        return f"{minutes} 分钟" if lang == "zh" else f"{minutes} min"
    day = day_minutes or 24 * 60
    hours = minutes < day
    amount = f"{minutes / (60 if hours else day):.1f}"
    if lang == "zh":
        if day_minutes is None:
            return f"{amount} {'小时' if hours else '天'}（{minutes} 分钟）"
        return f"{amount} {'个工作小时' if hours else '个工作日'}（{minutes} 工作分钟）"
    if day_minutes is None:
        return f"{amount} {'h' if hours else 'days'} ({minutes} min)"
    return f"{amount} working {'hours' if hours else 'days'} ({minutes} working min)"


def _excerpt(text: str | None, limit: int = 60) -> str | None:
    """The question's opening words for the evidence, with long digit runs masked (no phone
    or ID number is copied into the store)."""
    if not text:
        return None
    masked = _DIGITS.sub(lambda m: m.group(0)[:2] + "*" * (len(m.group(0)) - 2), text.strip())
    return masked if len(masked) <= limit else masked[: limit - 1] + "…"


_EXAMPLE_MEMBERS = [
    {"id": "u-head-sales", "display_name": "销售部+刘强", "joined_at": "2026-01-05T09:00:00+08:00"},
    {"id": "u-zhang", "display_name": "销售部+张三", "joined_at": "2026-01-05T09:00:00+08:00"},
]
_EXAMPLE_QUESTION = {
    "id": "m-1",
    "sender_id": "u-zhang",
    "sent_at": "2026-11-20T14:00:00+08:00",
    "text": "请问这个月的报价单模板在哪里？",
}
_EXAMPLE_DIRECTORY = {
    "people": [
        {"id": "u-head-sales", "name": "刘强", "department": "销售部", "status": "active"},
        {"id": "u-zhang", "name": "张三", "department": "销售部", "status": "active"},
    ],
    "departments": [{"name": "销售部", "head_id": "u-head-sales"}],
}

RULE = RuleSpec(
    id="overdue_reply",
    title_zh="工作提问未及时回复",
    title_en="Work questions and requests not answered in time",
    policy_ref="003 第五章 1.1-1.3",
    config=OverdueReplyConfig,
    check=check,
    needs_directory=True,
    partial_without_directory=(
        "department-head deadlines (direct_question, leader_request, public_question) not checked; "
        "mention deadlines checked"
    ),
    table_evidence=("asked_at", "due_at", "replied_at", "overdue_minutes", "marker"),
    examples=(
        Example(
            "an employee's question that their department head leaves unanswered all afternoon",
            {
                "members": _EXAMPLE_MEMBERS,
                "messages": [_EXAMPLE_QUESTION],
            },
            directory=_EXAMPLE_DIRECTORY,
            expect=(Expected("u-head-sales", "direct_question", message_id="m-1"),),
        ),
        Example(
            "the same question answered by the head five minutes later",
            {
                "members": _EXAMPLE_MEMBERS,
                "messages": [
                    _EXAMPLE_QUESTION,
                    {
                        "id": "m-2",
                        "sender_id": "u-head-sales",
                        "sent_at": "2026-11-20T14:05:00+08:00",
                        "text": "在群文件“报价”文件夹里",
                        "reply_to_id": "m-1",
                    },
                ],
            },
            directory=_EXAMPLE_DIRECTORY,
        ),
    ),
)
