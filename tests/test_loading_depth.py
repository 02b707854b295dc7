"""The nesting guard every input passes before a parser sees it (groupaudit.loading): JSON and
YAML deeper than 64 levels are refused; strings that merely contain brackets are not nesting."""

from __future__ import annotations

import json

import pytest
import yaml

from groupaudit.errors import InputError, Problem
from groupaudit.loading import (
    MAX_DEPTH,
    decode_directory,
    decode_json,
    decode_snapshot,
    load_yaml,
    nested_deeper_than,
    yaml_nested_deeper_than,
)
from kit import TENANT

TOO_DEEP = Problem("", "nested deeper than 64 levels of arrays and objects; refused unread")


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("[" * 64 + "]" * 64, 64),
        ("[" * 65 + "]" * 65, 65),
        ('{"a":' * 64 + "1" + "}" * 64, 64),
        ('{"a":' * 65 + "1" + "}" * 65, 65),
        ('[{"text": "' + "[" * 500 + '"}]', 2),  # brackets inside a string are text
        ('[{"text": "\\"' + "[" * 500 + '\\""}]', 2),  # ... escaped quotes do not end it
        ('[{"text": "\\\\"}, ' + "[" * 63 + "]" * 63 + "]", 64),  # an escaped backslash does end it
        ('["[图片]", "]]]]", ' + "[" * 10 + "]" * 10 + "]", 11),
    ],
)
def test_nesting_is_counted_in_arrays_and_objects_not_in_strings(text, levels):
    # GIVEN a JSON text whose true nesting is ``levels``
    assert _depth(json.loads(text)) == levels
    # WHEN the guard measures it against the limit
    # THEN it is too deep exactly when it passes 64
    assert nested_deeper_than(text.encode()) is (levels > MAX_DEPTH)


def test_the_guard_agrees_with_a_parser_on_random_documents():
    # GIVEN random documents of strings full of brackets, quotes and backslashes
    import random

    rng = random.Random(7)
    texts = ['a"b', "[", "]", "{", "}", "\\", '\\"', "[图片]", '"]', "x"]

    def document(level: int) -> object:
        roll = rng.random()
        if level > 70 or roll < 0.3:
            return rng.choice(texts)
        if roll < 0.65:
            return [document(level + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(texts) + str(i): document(level + 1) for i in range(rng.randint(0, 3))}

    for _ in range(300):
        value = document(0)
        raw = json.dumps(value, ensure_ascii=rng.random() < 0.5).encode()
        # WHEN measured against several limits
        # THEN the guard says what the parsed document's depth says
        for limit in (1, 4, 64):
            assert nested_deeper_than(raw, limit) is (_depth(value) > limit)


def test_a_snapshot_with_a_deeply_nested_unknown_field_is_refused_unread():
    # GIVEN the sample snapshot with an unknown field of 4 KB of nesting (msgspec and the
    # diagnosing pass would both recurse into it)
    raw = (TENANT / "snapshots" / "sales.json").read_bytes().rstrip()
    deep = raw[:-1] + b', "x": ' + b"[" * 2000 + b"]" * 2000 + b"}"
    # WHEN decoded
    with pytest.raises(InputError) as raised:
        decode_snapshot(deep, "deep.json")
    # THEN the one problem is the nesting
    assert (raised.value.source, raised.value.problems) == ("deep.json", [TOO_DEEP])


def test_a_directory_and_any_json_document_are_guarded_too():
    # GIVEN 4 KB of nesting
    deep = b"[" * 2000 + b"]" * 2000
    # WHEN read as a directory or as a plain JSON document
    # THEN both are refused with the reason
    for decode in (lambda: decode_directory(deep, "d.json"), lambda: decode_json(deep, "d.json")):
        with pytest.raises(InputError) as raised:
            decode()
        assert raised.value.problems == [TOO_DEEP]


def test_the_sample_snapshot_is_well_within_the_limit():
    # GIVEN the sample snapshot
    raw = (TENANT / "snapshots" / "sales.json").read_bytes()
    # WHEN measured
    # THEN it is not too deep even at 5 levels, and decodes
    assert not nested_deeper_than(raw, 5)
    assert decode_snapshot(raw).group.id == "grp-sales"


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 64)) + "  " * 64 + "v: 1\n", 65),
        ("[" * 64 + "]" * 64, 64),
        ("a: &x " + "[" * 30 + "1" + "]" * 30 + "\nb: " + "[" * 33 + "*x" + "]" * 33, 64),
        ("a: &x " + "[" * 30 + "1" + "]" * 30 + "\nb: " + "[" * 34 + "*x" + "]" * 34, 65),
    ],
)
def test_yaml_nesting_counts_block_flow_and_aliased_levels(text, levels):
    # GIVEN YAML nesting ``levels`` deep (an alias counts as the node it names)
    # WHEN measured
    # THEN too deep exactly past 64, and otherwise loaded as safe_load would
    assert yaml_nested_deeper_than(text) is (levels > MAX_DEPTH)
    if levels <= MAX_DEPTH:
        assert load_yaml(text, "p.yaml") == yaml.safe_load(text)
    else:
        with pytest.raises(InputError) as raised:
            load_yaml(text, "p.yaml")
        assert raised.value.problems == [TOO_DEEP]


def test_a_yaml_alias_inside_its_own_anchor_is_refused():
    # GIVEN a node that contains itself (safe_load builds a cycle every walker recurses into)
    # WHEN measured
    # THEN it is too deep
    assert yaml_nested_deeper_than("a: &a\n  b: *a\n") is True


def test_invalid_yaml_still_raises_the_loaders_error():
    # GIVEN text that is not YAML
    # WHEN measured
    # THEN yaml's own error comes out, as safe_load gives it
    with pytest.raises(yaml.YAMLError):
        yaml_nested_deeper_than("a: [1, 2\nb: }")
