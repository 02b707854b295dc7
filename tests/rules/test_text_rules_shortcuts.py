"""The shortcuts the text rules take at a million messages give what the plain way gives: the
digit runs of the message scan, off_hours_post's times and summaries, flooding's runs."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from factories import audit, member, message, of_rule, snapshot
from groupaudit.rules import off_hours_post
from groupaudit.rules.base import Summary, short_from_iso
from groupaudit.rules.flooding import _runs, _windows
from groupaudit.rules.messagescan import _DIGITS, _digit_spans

# --- the message scan's digit runs ----------------------------------------------------------


def test_digit_runs_are_found_where_the_pattern_finds_them():
    # GIVEN runs of 10, 11 and 12 digits, a resident ID's X, digits split by CJK text, other
    # scripts' digits and separators, at the start and end of the string
    text = (
        "13812345678 联系1381234567 和 138123456789x\x00"
        "11010519491231002X。3301你05199001011234 ٣٣٣٣٣٣٣٣٣٣٣ 1.13812345678 12345678901"
    )
    # WHEN the scan looks for them
    spans = list(_digit_spans(text))
    # THEN it finds the spans the pattern finds: the runs of 11 or more (their bounds are checked later)
    assert spans == [m.span() for m in _DIGITS.finditer(text)]
    assert [text[start:end] for start, end in spans] == [
        "13812345678",
        "138123456789x",
        "11010519491231002X",
        "05199001011234",
        "13812345678",
        "12345678901",
    ]


def test_digit_runs_match_the_pattern_on_random_texts():
    # GIVEN many random texts of digits mixed with letters, CJK, separators and other digits
    rnd = random.Random(17)
    others = "xX.a你\x00 ٣\u3000"
    texts = [
        "".join(rnd.choice(others) if rnd.random() < 0.2 else rnd.choice("0123456789") for _ in range(n))
        for n in (rnd.randint(0, 40) for _ in range(3000))
    ]
    # WHEN the scan looks for digit runs in each
    # THEN every text gives exactly the pattern's spans
    assert [list(_digit_spans(t)) for t in texts] == [[m.span() for m in _DIGITS.finditer(t)] for t in texts]
    assert sum(map(len, map(list, map(_digit_spans, texts)))) > 100  # the texts do hold runs


# --- off_hours_post's times --------------------------------------------------------------------

ZONES = ("Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Asia/Kathmandu")


@pytest.mark.parametrize("zone", ZONES)
def test_the_local_times_are_those_datetime_formats(zone):
    # GIVEN a zone with changes of offset (summer time, half-hour and 45-minute offsets, a
    # local mean time with seconds before 1900), whole seconds and fractions that round up
    tz = ZoneInfo(zone)
    rnd = random.Random(zone)
    stamps = [float(rnd.randint(-2_500_000_000, 4_000_000_000)) for _ in range(4000)]
    stamps += [
        rnd.randint(1_700_000_000, 1_800_000_000) + f for f in (0.25, 0.5, 0.9999996) for _ in range(300)
    ]
    # every few seconds around a change of offset: New York's at a UTC hour, Lord Howe's and
    # Kathmandu's within one
    for change in (1_710_054_000, 1_728_142_200, 504_901_800):
        stamps += [float(change + second) for second in range(-7300, 7300, 7)]
    local_time = off_hours_post._LocalTimes(tz)
    # WHEN the rule formats them
    got = [local_time(ts) for ts in stamps]
    # THEN each is datetime's ISO form to the second, and its short form
    isos = [datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds") for ts in stamps]
    assert got == [(iso, short_from_iso(iso)) for iso in isos]


def test_a_local_time_is_formatted_from_its_day_and_hour():
    # GIVEN Shanghai, two moments of one day and one on the next
    local_time = off_hours_post._LocalTimes(ZoneInfo("Asia/Shanghai"))
    moments = [
        datetime.fromisoformat(t).timestamp()
        for t in ("2026-11-20T07:30:05+08:00", "2026-11-20T23:59:59+08:00")
    ]
    # WHEN they are formatted
    # THEN the strings are right, and the parts were kept per UTC hour and local day
    assert [local_time(ts) for ts in moments] == [
        ("2026-11-20T07:30:05+08:00", "11-20 07:30"),
        ("2026-11-20T23:59:59+08:00", "11-20 23:59"),
    ]
    assert local_time(moments[1] + 1) == ("2026-11-21T00:00:00+08:00", "11-21 00:00")
    assert len(local_time._hours) == 3 and len(local_time._days) == 2


# --- off_hours_post's summaries ------------------------------------------------------------------

NIGHT = ("2026-11-20T07:30:00+08:00", "2026-11-19T22:15:00+08:00", "2026-11-15T15:00:00+08:00")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", ["销售部+张三", "{name} {at}", "a\x00at\x00b"])
def test_the_summary_is_the_full_render_whatever_the_name(name, lang):
    # GIVEN a sender whose name is plain, holds format fields, or holds the time's stand-in
    members = [member("u1", name)]
    messages = [message(f"m-{i}", "u1", sent_at, "报价已发") for i, sent_at in enumerate(NIGHT)]
    # WHEN off_hours_post judges their messages at night and on a Sunday
    found = of_rule(audit(snapshot(members, messages), lang=lang), "off_hours_post")
    # THEN each summary is the template rendered with the name and the time
    summaries = off_hours_post.RULE.summaries
    expected = [
        (summaries[kind].en if lang == "en" else summaries[kind].zh).format(name=name, at=at)
        for kind, at in (
            ("outside_hours", "11-20 07:30"),
            ("outside_hours", "11-19 22:15"),
            ("non_working_day", "11-15 15:00"),
        )
    ]
    assert sorted(f.summary for f in found) == sorted(expected)
    assert len(found) == 3


# --- flooding's runs -------------------------------------------------------------------------------


def _chained(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for first, last in windows:
        if runs and first <= runs[-1][1]:
            runs[-1] = (runs[-1][0], max(runs[-1][1], last))
        else:
            runs.append((first, last))
    return runs


def test_the_runs_are_the_windows_chained():
    # GIVEN a sender's times: three in 100 s, a pause, then a window sharing a message with the next
    stamps = [0.0, 50.0, 100.0, 400.0, 410.0, 420.0, 530.0, 535.0, 1000.0]
    # WHEN the runs of three messages within 120 s are found
    # THEN overlapping windows are one run, and a window after a gap starts a new one
    assert _windows(stamps, 3, 120) == [(0, 2), (3, 5), (4, 6), (5, 7)]
    assert _runs(stamps, 3, 120) == [(0, 2), (3, 7)]
    assert _runs(stamps[:2], 3, 120) == []


def test_the_runs_are_the_windows_chained_on_random_times():
    # GIVEN many random senders' times, counts and windows
    rnd = random.Random(9)
    cases = []
    for _ in range(2000):
        stamps, ts = [], 0.0
        for _ in range(rnd.randint(0, 40)):
            ts += rnd.choice((0, 0.5, 1, 5, 10, 30, 60, 61, 120, 200))
            stamps.append(ts)
        cases.append((stamps, rnd.randint(2, 12), rnd.choice((1, 30, 60, 120))))
    # WHEN their runs are found
    # THEN they are the windows chained one by one
    assert [_runs(*case) for case in cases] == [_chained(_windows(*case)) for case in cases]
    assert sum(len(_runs(*case)) for case in cases) > 500  # the cases do hold runs


def test_a_summary_whose_time_is_not_a_plain_field_is_rendered_in_full(monkeypatch):
    # GIVEN a template that pads the time
    template = "{name}@{at:>14}"
    monkeypatch.setitem(off_hours_post.RULE.summaries, "outside_hours", Summary(zh=template, en=template))
    messages = [message("m-1", "u1", "2026-11-20T07:30:00+08:00", "报价已发")]
    # WHEN off_hours_post judges a message at 07:30
    found = of_rule(audit(snapshot([member("u1", "张三")], messages)), "off_hours_post")
    # THEN the summary is the template rendered, padding and all
    assert [f.summary for f in found] == ["张三@   11-20 07:30"]


# --- flooding's open clusters ----------------------------------------------------------------
# Each step of Y -> Z -> V is similar enough (0.9), two steps are not (0.8), and X is Y.
X = Y = "abcdefghijklmnopqrst"
Z = "abcdefghijklmnopqryz"
V = "abcdefghijklmnopwxyz"


def _repeated(start: str, posts: list[tuple[float, str | None]]) -> list[tuple[str | None, int]]:
    base = datetime.fromisoformat(start).timestamp()
    messages = [
        message(
            f"m-{i}", "u1", datetime.fromtimestamp(base + at, ZoneInfo("Asia/Shanghai")).isoformat(), text
        )
        for i, (at, text) in enumerate(posts)
    ]
    found = of_rule(audit(snapshot([member("u1", "张三")], messages)), "flooding")
    return [(f.message_id, f.evidence["repeated"]) for f in found]


@pytest.mark.parametrize("start", ["2026-11-20T10:00:00+08:00", "1969-12-31T10:00:00+08:00"])
def test_a_cluster_closes_when_its_last_message_is_out_of_the_window(start):
    # GIVEN X, then 130 s later Y (the same text: X's cluster has closed, Y starts one), then
    # 120.5 s after Y a Z (Y's cluster has closed too) and two V, like Z but not like Y; each
    # with pictures close by, which put them in windows; before 1970 as well (negative times)
    posts = [(0.0, X), (1.0, None), (2.0, None), (125.0, None), (128.0, None), (130.0, Y)]
    posts += [(250.5, Z), (260.0, V), (270.0, V)]
    # WHEN flooding looks for repeats
    # THEN Z starts a cluster the two V join: one repeated burst from Z
    assert _repeated(start, posts) == [("m-6", 3)]


def test_a_cluster_open_within_the_window_takes_a_like_message():
    # GIVEN the same, Z only 120 s after Y: it joins Y's cluster, and the V, unlike Y, do not
    posts = [(0.0, X), (1.0, None), (2.0, None), (125.0, None), (128.0, None), (130.0, Y)]
    posts += [(250.0, Z), (260.0, V), (270.0, V)]
    # WHEN flooding looks for repeats
    # THEN Y and Z are two of a kind, the V two more: no burst
    assert _repeated("2026-11-20T10:00:00+08:00", posts) == []
