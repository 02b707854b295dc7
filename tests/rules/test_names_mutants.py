"""names: where a display name splits, value by value.

Written against the mutants `make mutate` left alive (docs/BENCHMARKS.md, "Mutation testing").
"""

from __future__ import annotations

from groupaudit.rules.names import split_display_name


def test_a_display_name_splits_at_its_first_separator():
    # GIVEN a name with two separators
    # THEN it splits at the first (at the last, 张三+实习 would be read as a department: a false
    # name_format finding)
    assert split_display_name("销售部+张三+实习", ("+",)) == ("销售部", "张三+实习")


def test_of_two_separators_at_one_place_the_longer_wins():
    # GIVEN a tenant's separators "-" and "--", and a name written with "--"
    # THEN the name part is 张三, not "-张三" (a false finding: the name part never matches the
    # directory's name)
    assert split_display_name("销售部--张三", ("-", "--")) == ("销售部", "张三")
    assert split_display_name("销售部 - 张三", ("-",)) == ("销售部", "张三")
    assert split_display_name("张三", ("-",)) is None
