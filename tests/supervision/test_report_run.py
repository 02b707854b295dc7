"""Making the monthly report: stored in the report bucket, recorded, announced once to the
supervision contact with a link to the HTML page that lasts 7 days (docs/SUPERVISION.md
"Monthly report"; the link itself: test_report_link.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NoReturn

import pytest
import requests

from factories import message
from groupaudit.adapters.report_store import ReportStore
from groupaudit.adapters.storage import Storage
from groupaudit.businesstime import chinese_workday_rule
from groupaudit.errors import InputError
from groupaudit.pipeline import report_link, runtime
from groupaudit.pipeline.report_run import (
    ReportRunDeps,
    make_due_reports,
    make_monthly_report,
    report_due,
)
from groupaudit.pipeline.supervision_contact import SupervisionContact, SupervisionDeps, put_contact
from groupaudit.settings import Settings
from groupaudit.supervision.report import build_report
from groupaudit.wire import NoticeMessage
from kit import receive_all
from supervision.test_report import RD, SALES, TENANT, _audit, _sales_messages, _sources

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

NOW = datetime.fromisoformat("2026-12-01T09:00:00+08:00")
KEYS = {fmt: f"reports/{TENANT}/2026-11/report.{fmt}" for fmt in ("json", "html", "xlsx")}
API_URL = "https://abcdef1234.execute-api.ap-east-1.amazonaws.com/"


@pytest.fixture
def november(store: Storage) -> Storage:
    """November: the sales group's day of questions, one answered late (one finding); R&D clean."""
    msgs = [message("m0", "u2", "2026-11-18T09:00:00+08:00", "早"), *_sales_messages("11-19")]
    _audit(store, "g-sales", "销售部", SALES, msgs, "2026-11-19T18:00:00+08:00", "c" * 32)
    _audit(store, "g-rd", "研发部", RD, [message("m1", "r1", "2026-11-19T10:00:00+08:00", "好的")],
           "2026-11-20T18:00:00+08:00", "e" * 32)  # fmt: skip
    return store


@pytest.fixture
def deps(store: Storage, settings: Settings, sqs: SQSClient) -> ReportRunDeps:
    return ReportRunDeps(
        store=store,
        s3=runtime.client("s3"),
        bucket=settings.report_bucket,
        sources=lambda tenant: _sources(store),
        supervision=SupervisionDeps.on_queue(store, sqs, settings.notice_queue_url, lambda: NOW),
        link_key=report_link.function_key(settings),
        link_base=API_URL,
    )


def _followed(url: str, when: datetime) -> tuple[int, bytes]:
    """The link followed at ``when`` (the API function's answer, then S3's to its Location)."""
    from supervision.test_report_link import follow

    real_now = runtime.now
    runtime.now = lambda: when
    try:
        status, headers, _ = follow(url.removeprefix(API_URL.rstrip("/")))
    finally:
        runtime.now = real_now
    if status != 302:
        return status, b""
    return status, requests.get(headers["Location"], timeout=5).content


@pytest.fixture
def contact(store: Storage) -> None:
    put_contact(
        store,
        SupervisionContact(
            tenant_id=TENANT, type="wecom", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
        ),
    )


def _objects(deps: ReportRunDeps) -> dict[str, bytes]:
    listed = deps.s3.list_objects_v2(Bucket=deps.bucket, Prefix="reports/").get("Contents", [])
    return {o["Key"]: deps.s3.get_object(Bucket=deps.bucket, Key=o["Key"])["Body"].read() for o in listed}


def _texts(sqs: SQSClient, settings: Settings) -> list[str]:
    return [json.loads(m["Body"])["text"] for m in receive_all(sqs, settings.notice_queue_url)]


def test_a_made_report_is_stored_recorded_and_announced_once(
    november: Storage, deps: ReportRunDeps, contact: None, sqs: SQSClient, settings: Settings
) -> None:
    # GIVEN a stored month of audits and a supervision contact
    # WHEN November's report is made
    made = make_monthly_report(TENANT, "2026-11", "zh", NOW, deps)
    # THEN three objects in the bucket, the JSON equal to build_report's
    objects = _objects(deps)
    assert sorted(objects) == sorted(KEYS.values()) and made.keys == KEYS
    expected = build_report(TENANT, "2026-11", "zh", _sources(november), NOW).model_dump(mode="json")
    assert json.loads(objects[KEYS["json"]]) == expected
    assert objects[KEYS["xlsx"]][:2] == b"PK"  # a zip: the workbook
    # AND one message to the contact, in Chinese, with the API's link to the HTML page
    (text,) = _texts(sqs, settings)
    assert made.announced and text.startswith("2026-11 月度工作群评估报告已生成：") and made.url in text
    assert text.endswith("（链接 7 天内有效）") and made.url.startswith(f"{API_URL}reports/link/")
    token = made.url.rpartition("/")[2]
    assert report_link.verify_token(deps.link_key, token, NOW.timestamp()) == report_link.ReportLink(
        tenant=TENANT, month="2026-11", fmt="html", expires=int(NOW.timestamp()) + 7 * 24 * 3600
    )
    # AND the link downloads the page for 7 days (long after any session credentials expired),
    # and not a second longer
    last_second = NOW + timedelta(days=7, seconds=-1)
    assert _followed(made.url, last_second) == (302, objects[KEYS["html"]])
    assert b"<html" in objects[KEYS["html"]]
    assert _followed(made.url, NOW + timedelta(days=7)) == (404, b"")
    # AND the report is recorded with its keys, summary and announcement
    (record,) = ReportStore.over(november).reports(TENANT, "2026-11", "2026-11").values()
    assert record["keys"] == KEYS and record["announced_at"] == NOW.isoformat()
    assert (record["summary"]["findings"], record["summary"]["groups"]) == (1, {"g-rd": 0, "g-sales": 1})

    # WHEN it is made again after another audit of the month
    later = datetime.fromisoformat("2026-12-02T09:00:00+08:00")
    msgs = [message("m0", "u2", "2026-11-25T09:00:00+08:00", "早"), *_sales_messages("11-26")]
    _audit(november, "g-sales", "销售部", SALES, msgs, "2026-11-26T18:00:00+08:00", "f" * 32)
    again = make_monthly_report(TENANT, "2026-11", "zh", later, deps)
    # THEN the same keys are replaced with the new figures, and nothing more is told
    objects = _objects(deps)
    assert sorted(objects) == sorted(KEYS.values())
    assert json.loads(objects[KEYS["json"]])["totals"]["findings"] == 2
    assert not again.announced and _texts(sqs, settings) == []
    (record,) = ReportStore.over(november).reports(TENANT, "2026-11", "2026-11").values()
    assert record["generated_at"] == later.isoformat() and record["announced_at"] == NOW.isoformat()


def test_without_a_contact_nothing_is_told_until_one_is_set(
    november: Storage, deps: ReportRunDeps, sqs: SQSClient, settings: Settings
) -> None:
    # GIVEN no supervision contact: the report is stored, the announcement left for later
    first = make_monthly_report(TENANT, "2026-11", "en", NOW, deps)
    assert not first.announced and _texts(sqs, settings) == []
    # WHEN a contact is set and the month made again, it is told then, in the contact's language
    put_contact(
        november,
        SupervisionContact(
            tenant_id=TENANT,
            type="wecom",
            url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
            lang="en",
        ),
    )
    second = make_monthly_report(TENANT, "2026-11", "en", NOW, deps)
    (text,) = _texts(sqs, settings)
    assert second.announced and text.startswith("The monthly assessment report of 2026-11 is ready: ")
    assert (
        text == f"The monthly assessment report of 2026-11 is ready: {second.url} (the link works for 7 days)"
    )


def test_a_failed_send_releases_the_announcement(
    november: Storage, deps: ReportRunDeps, contact: None, sqs: SQSClient, settings: Settings
) -> None:
    # GIVEN a queue that fails once
    real = deps.supervision.send

    def broken(message: NoticeMessage) -> NoReturn:
        raise RuntimeError("queue down")

    deps.supervision.send = broken
    with pytest.raises(RuntimeError, match="queue down"):
        make_monthly_report(TENANT, "2026-11", "zh", NOW, deps)
    # WHEN made again with the queue back, it is announced
    deps.supervision.send = real
    assert make_monthly_report(TENANT, "2026-11", "zh", NOW, deps).announced
    assert len(_texts(sqs, settings)) == 1


def test_a_bad_month_is_refused_naming_it(deps: ReportRunDeps) -> None:
    with pytest.raises(InputError) as caught:
        make_monthly_report(TENANT, "2026-13", "zh", NOW, deps)
    assert "'2026-13'" in str(caught.value.problems[0])


def test_the_report_is_due_on_the_first_working_day_of_the_month() -> None:
    workday = chinese_workday_rule()
    # GIVEN 2026-12-01, a Tuesday and a working day: November's is due, and not the next day
    assert report_due(date(2026, 12, 1), workday) == "2026-11"
    assert report_due(date(2026, 12, 2), workday) is None
    # GIVEN a tenant whose calendar makes the 1st a holiday: due on the 2nd
    holiday = lambda day: day != date(2026, 12, 1) and workday(day)  # noqa: E731
    assert report_due(date(2026, 12, 1), holiday) is None
    assert report_due(date(2026, 12, 2), holiday) == "2026-11"
    # GIVEN January 2027: the 1st is New Year's Day, the 4th a Monday
    assert [d for d in range(1, 6) if report_due(date(2027, 1, d), workday)] == [4]


def test_the_due_reports_are_made_per_tenant_on_its_own_first_working_day(
    november: Storage, deps: ReportRunDeps, contact: None
) -> None:
    workday = chinese_workday_rule()
    calendars: dict[str, Callable[[date], bool]] = {
        TENANT: workday,
        "other": lambda day: day != date(2026, 12, 1) and workday(day),
    }
    made = []
    for day in (1, 2):
        today = dict.fromkeys(calendars, date(2026, 12, day))  # both tenants' date that day
        due = make_due_reports([TENANT, "other"], today.__getitem__, calendars.__getitem__, NOW, deps)
        made += [(r.tenant, r.month, day) for r in due]
    # THEN acme's November on the 1st, the other tenant's on the 2nd, nothing else
    assert made == [(TENANT, "2026-11", 1), ("other", "2026-11", 2)]


def test_post_reports_makes_the_month_for_the_signed_tenant(
    november: Storage, contact: None, sqs: SQSClient, settings: Settings
) -> None:
    from groupaudit.pipeline import api
    from supervision.test_supervision_api import SECRETS, call

    secrets = runtime.client("secretsmanager")
    for tenant, secret in SECRETS.items():
        secrets.create_secret(Name=api.tenant_secret_name(settings, tenant), SecretString=secret.decode())
    # WHEN acme asks for November's report
    status, body = call("POST", "/reports", {"month": "2026-11", "lang": "en"})
    # THEN it is made: its keys, a link to the page under the API it was asked of, announced once
    assert status == 200 and body["keys"] == KEYS and body["announced"] is True
    assert body["url"].startswith(f"{API_URL}reports/link/")
    status, page = _followed(body["url"], runtime.now() + timedelta(days=6))
    assert status == 302 and page.startswith(b"<!DOCTYPE html>")
    assert len(_texts(sqs, settings)) == 1
    # AND made again: not announced again
    assert call("POST", "/reports", {"month": "2026-11"})[1]["announced"] is False
    # AND a bad month is refused naming the field; unsigned is refused
    status, body = call("POST", "/reports", {"month": "2026-13"})
    assert (status, body["details"][0]["loc"]) == (422, ["body", "month"])
    assert call("POST", "/reports", {"month": "2026-11"}, signed=False)[0] == 401


def test_the_reporter_makes_last_months_report_on_each_tenants_first_working_day(
    november: Storage, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from groupaudit.wire import GroupRegistration
    from kit import invoke

    # GIVEN the reporter's API_URL (template.yaml), acme on the public calendar, and a tenant
    # whose own calendar makes Dec 1 a holiday
    monkeypatch.setenv("API_URL", API_URL)
    november.groups.put_groups(
        [
            GroupRegistration(tenant_id=t, group_id="g-sales", platform="generic", name="销售群")
            for t in (TENANT, "other")
        ]
    )
    holiday = {"defaults": {"calendar": {"extra_holidays": ["2026-12-01"]}}}
    policy_key = "tenants/other/policy.yaml"
    body = yaml.safe_dump(holiday).encode()
    runtime.client("s3").put_object(Bucket=settings.snapshot_bucket, Key=policy_key, Body=body)

    def run(when: str) -> list[tuple[str, str]]:
        event = {"source": "schedule", "tenant_id": "all", "workdays_only": True, "scheduled_time": when}
        return [(r["tenant_id"], r["month"]) for r in invoke("reporter", event)["reports"]]

    # WHEN the reporter runs at 09:00 Asia/Shanghai on Tuesday Dec 1, then on Dec 2, then Dec 3
    # THEN acme's November is made on the 1st, the other tenant's on the 2nd, nothing on the 3rd
    assert run("2026-12-01T01:00:00Z") == [(TENANT, "2026-11")]
    assert run("2026-12-02T01:00:00Z") == [("other", "2026-11")]
    assert run("2026-12-03T01:00:00Z") == []
    keys = runtime.client("s3").list_objects_v2(Bucket=settings.report_bucket, Prefix="reports/")["Contents"]
    assert sorted(o["Key"] for o in keys) == sorted(
        [*KEYS.values(), *(k.replace(f"/{TENANT}/", "/other/") for k in KEYS.values())]
    )
