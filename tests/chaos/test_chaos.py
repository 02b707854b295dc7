"""The fault-injection suite (``make chaos``) with one seed per scenario: the whole local
pipeline under each scenario's faults, compared with a fault-free run."""

from __future__ import annotations

import io
import re

import pytest

from groupaudit.local import chaos


@pytest.fixture(scope="module")
def summary() -> tuple[chaos.Summary, str]:
    out = io.StringIO()
    return chaos.run_chaos(1, out=out), out.getvalue()


def _by_scenario(summary: chaos.Summary) -> dict[str, list[chaos.RunResult]]:
    runs: dict[str, list[chaos.RunResult]] = {}
    for run in summary.runs:
        runs.setdefault(run.scenario, []).append(run)
    return runs


def test_every_scenario_ran_and_injected_its_faults(summary):
    # GIVEN the suite's runs
    result, _ = summary
    runs = _by_scenario(result)
    # THEN each scenario ran, and faults of its kind were injected (a run without any proves nothing)
    assert list(runs) == [s.name for s in chaos.SCENARIOS]
    expected = {
        "dynamodb_errors": {
            "ProvisionedThroughputExceededException",
            "ThrottlingException",
            "InternalServerError",
        },
        "robot_refusals": {"robot 429", "robot 500", "robot 502", "robot 503"},
        "robot_accepts_then_fails": {"robot accept-504", "robot accept-hang"},
        "sqs_duplicates_reordered": {"delivered twice at once", "delivered again later"},
        "worker_killed": {"worker killed"},
        "notifier_killed_after_send": {"notifier killed after send"},
        "dynamodb_applied_then_500": {f"{write} applied, then 500" for write in chaos.APPLIED_WRITES},
    }
    for name, kinds in expected.items():
        injected = set().union(*(run.injected for run in runs[name]))
        assert injected & kinds and injected <= kinds | {"TransactionCanceledException"}, (name, injected)
    # AND every platform's pull was refused, only in that scenario and only as platforms refuse
    (refused,) = [run.injected for run in runs["platform_errors"]]
    assert {kind.split(" ", 1)[0] for kind in refused} == {"dingtalk", "wecom", "feishu", "slack"}
    own = {
        "dingtalk": {
            "errcode -1",
            "errcode 90018",
            "errcode 88",
            "errcode 88/90018",
            "throttle",
            "QpsLimitForAppkeyAndApi",
        },
        "wecom": {"errcode 45009", "errcode -1"},
        "feishu": {"429 99991400", "400 99991400", "232019", "230020"},
        "slack": {"429 ratelimited", "internal_error"},
    }
    for kind in refused:
        platform, answer = kind.split(" ", 1)
        assert answer in own[platform] | {"500", "502", "503"}, kind


def test_no_fault_loses_a_finding_or_makes_one_up(summary):
    # THEN every run stored exactly the fault-free run's open findings
    result, _ = summary
    assert [(run.scenario, run.lost, run.false) for run in result.runs] == [
        (run.scenario, 0, 0) for run in result.runs
    ]
    # AND those include findings of every group pulled from a platform's peer
    pulled = {"grp-sales-pulled", "grp-ops-vip-pulled", "grp-rd-pulled", "grp-weekly-pulled"}
    for run in result.runs:
        assert {group for group, _ in run.findings} >= pulled, run.scenario


def test_a_pull_that_gave_up_came_back_through_sqs_and_was_audited(summary):
    # GIVEN the platform_errors run, whose first DingTalk refusal is the IP throttle (a minute,
    # longer than the HTTP layer waits): the pull ended retryable
    result, _ = summary
    (run,) = _by_scenario(result)["platform_errors"]
    assert run.injected["dingtalk throttle"] >= 1
    # THEN SQS delivered the group again, and the audit ended with every group done, none failed
    assert run.given_back["audit_worker"] >= 1
    assert (run.counters["groups_done"], run.counters["groups_failed"]) == (11, 0)


def test_no_run_is_stuck_and_every_audit_counter_is_exact(summary):
    # THEN every audit finished (no message left, none dead-lettered) with the fault-free counters
    result, _ = summary
    assert [(run.scenario, run.stuck, run.counters_exact) for run in result.runs] == [
        (run.scenario, False, True) for run in result.runs
    ]
    # the sample tenant's 7 groups in S3 and one group pulled from each of the 4 platforms
    assert all(run.counters["groups_done"] == run.counters["groups_total"] == 11 for run in result.runs)


def test_notices_repeat_only_in_the_window_no_design_closes(summary):
    # THEN outside the named window nothing was posted twice; inside it, one repeat per death
    # between the platform taking a part and its recording; and every finding told was told
    result, _ = summary
    for run in result.runs:
        expected = run.window_kills if run.scenario == chaos.UNAVOIDABLE_WINDOW else 0
        assert (run.scenario, run.duplicates) == (run.scenario, expected)
        assert (run.scenario, run.untold) == (run.scenario, 0)
    assert sum(run.window_kills for run in result.runs) > 0


def test_the_suite_prints_one_summary_line_last(summary):
    # THEN the report ends with the one line, its figures those of the runs
    result, text = summary
    last = text.strip().splitlines()[-1]
    assert re.fullmatch(r"chaos: scenarios=9 runs=9 lost_findings=0 duplicate_notices=\d+ stuck=0", last)
    assert last == result.line()
    assert f"duplicate_notices={result.duplicate_notices}" in last
