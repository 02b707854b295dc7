"""questions: question recognition, sentences, terms and addressing by name, value by value.

Written against the mutants `make mutate` left alive (docs/BENCHMARKS.md, "Mutation testing"):
each test names the false or lost overdue_reply finding a surviving mutant would cause. Every
test builds its own lexicon, so that the word lists are compiled under the mutant (a lexicon's
patterns are compiled once and kept).
"""

from __future__ import annotations

import dataclasses

import pytest

from groupaudit.rules import questions as q
from groupaudit.rules.overdue_reply import OverdueReplyConfig


def _lexicon(**lists):
    """The built-in word lists, fresh (nothing compiled yet), with some lists replaced."""
    return dataclasses.replace(OverdueReplyConfig().lexicon, **lists)


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        # a marker in the middle of the list, and one found before any question word
        ("这个方案是否周五交", "是否"),
        ("请问会议室在三楼", "请问"),
        # the longest question word wins: 什么时候, not 什么
        ("报告什么时候交", "什么时候"),
        ("这份表要填什么", "什么"),
        # a question mark alone, either width
        ("报告周五交?", "？"),
        ("报告周五交？", "？"),
        # a particle before an emoji, a sticker or an @-mention at the end
        ("周五能交吗😊", "吗"),
        ("周五能交吗[微笑]", "吗"),
        ("周五能交吗 @张三", "吗"),
        # a question on the second line, and one between a social sentence and a work one
        ("报表已经更新\n周五能交吗", "吗"),
        ("中午吃饭了。周五能交报表吗。收到请回复", "吗"),
        ("周五能交报表吗？我这边等着汇总", "？"),
        # a statement word after the marker does not embed it
        ("是否需要我帮你看看", "是否"),
        # a two-character question, a three-word English one
        ("几点？", "？"),
        ("Is it done?", "?"),
        ("The report is ready for review?", "?"),
        # a question word at most six characters from the end asks
        ("哪里能领新的工牌", "哪里"),
    ],
)
def test_work_questions_are_recognised(text, marker):
    # GIVEN a member's message that asks something of work
    # WHEN read with the built-in word lists
    # THEN it is a question, with the marker that makes it one (each one lost under a mutant:
    # a question nobody is asked to answer — a lost overdue_reply finding)
    assert q.question_marker(text, _lexicon()) == marker


@pytest.mark.parametrize(
    "text",
    [
        "不知道怎么写",  # an indirect question
        "有什么问题随时找我",  # an offer
        "中午去哪里吃饭？",  # a social topic
        "can this interface track where all the Pokemons are? Asking for a friend",
        "在 吗？",  # a phatic question, spaced out
        "然   后  呢？",  # the same, eight characters long
        "新表格 www.example.com/form?id=3 已经更新",  # a "?" in a link without a scheme
        "没什么",
        "剩下的没多少",
        "效果不怎样",
        "补贴一百或多少",
        "哪什么",
        "这个方案不怎么样",  # 不 + 怎么样: a verdict, not a question
        "什么都行",
        "文件怎么也打不开",
        "哪里可以领到新工牌",  # the question word seven characters from the end
        "那就这么",
        "也没那么",
        "这事多么",
        "二选一要么",
        "不知道该怎么",
    ],
)
def test_statements_are_no_questions(text):
    # GIVEN a message that asks nothing of anyone
    # WHEN read with the built-in word lists
    # THEN it is no question (under a mutant, a question owed by someone: a false finding)
    assert q.question_marker(text, _lexicon()) is None


def test_a_tenant_s_offer_list_without_de_hua_still_reads_shenme_de_hua_as_no_question():
    # GIVEN a tenant whose offer list leaves out 的话
    lexicon = _lexicon(offers=("随时",))
    # WHEN "需要什么的话" / "需要多少的话" (if anything / any amount is needed) is read
    # THEN it asks nothing (a false finding otherwise)
    assert q.question_marker("需要什么的话", lexicon) is None
    assert q.question_marker("需要多少的话", lexicon) is None
    assert q.question_marker("需要多少的话告诉我", lexicon) is None
    assert q.question_marker("需要准备什么", lexicon) == "什么"


def test_empty_word_lists_match_nothing_and_break_nothing():
    # GIVEN a tenant who emptied the markers, question words, social topics and request words
    lexicon = _lexicon(markers=(), words=(), social=(), requests=(), english_requests=())
    # WHEN messages are read
    # THEN an empty list matches no text at all, and the other signs still work (a crash here
    # would lose every finding of the audit; "XXXX" matching a false one)
    assert q.question_marker("XXXX 周五交XXXX", lexicon) is None
    assert q.question_marker("周五能交吗", lexicon) == "吗"
    assert q.question_marker("周五交？", lexicon) == "？"
    assert q.request_marker("张三，XXXX 报表", lexicon) is None


def test_requests_are_found_in_either_language_and_case():
    # GIVEN messages addressed to a member
    lexicon = _lexicon()
    # THEN the request word is named, English ones lower-cased (a request lost: the addressee's
    # overdue answer is never owed)
    assert q.request_marker("张三，请把报表发我", lexicon) == "请"
    assert q.request_marker("Anna, Please check the sheet", lexicon) == "please"
    assert q.request_marker("Anna, CAN YOU check the sheet", lexicon) == "can you"
    assert q.request_marker("张三，报表已确认", lexicon) is None


def test_sentences_keep_their_core_and_whether_they_asked():
    # GIVEN sentences with terminators, brackets and asides
    # THEN each core loses its terminators only, and only a question's unclosed aside is cut
    assert q.sentences("周五交?") == [("周五交", True)]
    assert q.sentences("Send file X?") == [("Send file X", True)]
    assert q.sentences("备注(见附件") == [("备注(见附件", False)]
    assert q.sentences("Item a) is in (the sheet) ok?") == [("Item a) is in (the sheet) ok", True)]
    assert q.sentences("Budget (see sheet) is tight (how much is left?)") == [("how much is left", True)]
    assert q.sentences("Send it (when is it due?)") == [("when is it due", True)]


def test_mentions_and_links_are_taken_out_of_what_a_message_says():
    # GIVEN messages with @-mentions and links
    # THEN both are replaced by a space, so that an echo or an acknowledgement is compared on
    # what was said ("@张三 收到" not taken for an acknowledgement: a false finding)
    assert q.strip_mentions("请看 <@U123> 和 @张三 的意见") == "请看   和  的意见"
    assert q.strip_mentions("看 www.example.com/form?id=3 填") == "看   填"
    assert q.content_of("@张三 收到 https://a.cn/x?y=1") == "收到"
    assert q.content_of("收到 www.a.cn/x") == "收到"
    assert q.normalised(["收到！", " ", "OK"]) == frozenset({"收到", "ok"})


def test_terms_are_every_two_character_chinese_word_and_latin_words_of_four_letters():
    # GIVEN a message
    # THEN its terms are each two-character window of its Chinese and its Latin words of four
    # letters or more, lower-cased (a term lost: a colleague's answer not matched, a false
    # finding; a term too many: a chance word taken for an answer, a lost one)
    assert q.terms("Budget plan ok 报销流程") == frozenset({"budget", "plan", "报销", "销流", "流程"})


def test_a_display_name_offers_itself_its_name_part_and_a_first_name():
    assert q.name_parts("销售部+张三") == ["销售部+张三", "张三"]
    assert q.name_parts("Anna Maria Smith") == ["Anna Maria Smith", "Maria Smith", "Anna"]
    assert q.name_parts("张三") == ["张三"]


def _index(titles=("老师", "总", "经理", "哥"), generic=("大家", "Team")):
    members = [
        ("u-wang", ["销售部+王五", "王五"], "王五"),
        ("u-li1", ["李一"], "李一"),
        ("u-li2", ["李二"], "李二"),
        ("u-anna", ["Anna Smith", "Anna"], "Anna Smith"),
        ("u-lily", ["lily"], "lily"),
        ("u-ouyang", ["欧阳娜娜"], "欧阳娜娜"),
        ("u-long", ["爱新觉罗启"], "爱新觉罗启"),
        ("u-zhang", ["张一"], "张一"),
        ("u-edge", ["周\u9fff"], "周\u9fff"),
        ("u-yi", ["一凡"], "一凡"),
        ("u-last", ["\u9fff凡"], "\u9fff凡"),
        ("u-nobody", ["路人"], None),
    ]
    return q.build_name_index(members, titles, generic)


def test_the_name_index_holds_lower_cased_names_and_single_character_surnames():
    # GIVEN members with Chinese names of two to five characters, Latin names and no real name
    index = _index()
    # THEN names are lower-cased; only Chinese real names of two to four characters give a
    # surname (爱新觉罗启 and lily none); generic words are lower-cased
    assert index.names["anna"] == frozenset({"u-anna"})
    assert "Anna" not in index.names
    assert index.surnames == {
        "王": frozenset({"u-wang"}),
        "李": frozenset({"u-li1", "u-li2"}),
        "欧": frozenset({"u-ouyang"}),
        "张": frozenset({"u-zhang"}),
        "周": frozenset({"u-edge"}),
        "一": frozenset({"u-yi"}),
        "\u9fff": frozenset({"u-last"}),
    }
    assert index.generic == frozenset({"大家", "team"})
    assert [len(t) for t in index.titles] == [2, 2, 1, 1]


def test_openings_resolve_to_one_member_to_somebody_unnamed_or_to_nobody():
    index = _index()
    # a name, any case; a generic word
    assert q.resolve_address("ANNA", index) == q.Address("ANNA", frozenset({"u-anna"}))
    assert q.resolve_address("Team", index) is None
    # surname + title; an unknown surname is somebody we cannot name, not a crash
    assert q.resolve_address("王总", index) == q.Address("王总", frozenset({"u-wang"}))
    assert q.resolve_address("赵总", index) == q.Address("赵总", frozenset())
    assert q.resolve_address("张老师", index) == q.Address("张老师", frozenset({"u-zhang"}))
    # a stem of two characters or a Latin one before the title: nobody we index
    assert q.resolve_address("欧阳总", index) is None
    assert q.resolve_address("A总", index) is None
    assert q.resolve_address("a总", index) is None
    # the first and the last character of the CJK block are surnames too
    assert q.resolve_address("一总", index) == q.Address("一总", frozenset({"u-yi"}))
    assert q.resolve_address("\u9fff总", index) == q.Address("\u9fff总", frozenset({"u-last"}))
    assert q.resolve_address("大帅哥", index) is None
    # 小/老 + surname: one member, or somebody unnamed when the surname is shared
    assert q.resolve_address("小王", index) == q.Address("小王", frozenset({"u-wang"}))
    assert q.resolve_address("老李", index) == q.Address("老李", frozenset())
    assert q.resolve_address("小王八", index) is None
    assert q.resolve_address("X王", index) is None
    assert q.resolve_address("王小", index) is None


def test_a_longer_title_is_tried_before_a_title_it_ends_with():
    # GIVEN a tenant's titles 总 and 副总
    index = _index(titles=("总", "副总"))
    # WHEN a question opens with 王副总
    # THEN 王五 is addressed (with 总 tried first the stem 王副 names nobody: a lost finding)
    assert q.resolve_address("王副总", index) == q.Address("王副总", frozenset({"u-wang"}))


def test_a_leading_address_and_an_opening_token():
    index = _index()
    # an opening followed by an @-mention only still addresses
    assert q.leading_address("王总 @王五", index) == q.Address("王总", frozenset({"u-wang"}))
    assert q.opening_token("张总，合同签了吗") == "张总"
    assert q.opening_token("好的") is None
