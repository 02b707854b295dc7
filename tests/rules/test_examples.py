"""Every rule's examples (its RuleSpec) find exactly what they say, in both languages."""

from __future__ import annotations

import re

import pytest

from groupaudit.rule_examples import expected, found, run_example
from groupaudit.rules import REGISTRY


def _examples(firing_only: bool = False) -> list:
    return [
        pytest.param(spec, example, id=f"{spec.id}-{index}")
        for spec in REGISTRY.values()
        for index, example in enumerate(spec.examples)
        if example.fires or not firing_only
    ]


EXAMPLES = _examples()
FIRING = _examples(firing_only=True)
SEED_CLAUSE = re.compile(r"^00[0-3] \S")


@pytest.mark.parametrize(("spec", "example"), EXAMPLES)
def test_example_finds_exactly_what_it_expects(spec, example):
    # GIVEN one example of a rule
    # WHEN its snapshot fragment is audited with that rule alone
    report = run_example(spec, example)
    # THEN the rule ran (or a built-in profile turned it off there), and its findings are the
    # expected ones (rule, kind, subject, message, file)
    skipped = [(s.rule, s.reason) for s in report.rules_skipped]
    assert report.rules_run == [spec.id] or (
        not example.fires and skipped == [(spec.id, "disabled by policy")]
    )
    assert found(report) == expected(spec, example)


@pytest.mark.parametrize(("spec", "example"), FIRING)
def test_a_firing_example_has_a_zh_and_an_en_summary_and_a_seed_clause(spec, example):
    # GIVEN an example that fires
    # WHEN audited in Chinese and in English
    zh, en = run_example(spec, example, "zh"), run_example(spec, example, "en")
    # THEN each finding has a Chinese summary, a different English one, and names a seed clause
    for zh_finding, en_finding in zip(zh.findings, en.findings, strict=True):
        assert re.search(r"[\u4e00-\u9fff]", zh_finding.summary)
        assert en_finding.summary != zh_finding.summary
        assert re.search(r"[A-Za-z]{3}", en_finding.summary)
        assert all(SEED_CLAUSE.match(part.strip()) for part in zh_finding.policy_ref.split(";"))


@pytest.mark.parametrize("spec", REGISTRY.values(), ids=list(REGISTRY))
def test_every_rule_has_an_example_that_fires_and_one_that_does_not(spec):
    # GIVEN a rule of the registry
    # THEN its spec shows both sides of it
    assert any(example.fires for example in spec.examples)
    assert any(not example.fires for example in spec.examples)


@pytest.mark.parametrize(("spec", "example"), FIRING)
def test_a_rule_s_subject_kind_is_what_its_findings_name(spec, example):
    # GIVEN an example that fires, and what the rule's spec says its subject is
    # WHEN audited
    report = run_example(spec, example)
    # THEN a file rule's findings name the file as their subject (POLICY_RULES.md, "Finding
    # subjects"), and a person's rule's findings name no file as theirs: the report's member view
    # relies on it to leave files out of its people
    for finding in report.findings:
        if spec.subject == "file":
            assert finding.subject_id == finding.file_id is not None
        else:
            assert finding.subject_id != finding.file_id
