"""``groupaudit report TENANT --month YYYY-MM --store`` against moto's server, through the AWS
flags: the month is made as the reporter makes it (stored, recorded, announced once) and its
7-day link printed (docs/SUPERVISION.md "Monthly report")."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import boto3
import pytest

from factories import message
from groupaudit.adapters.report_store import ReportStore
from groupaudit.cli import EXIT_INVALID, EXIT_OK, main
from groupaudit.local.resources import create_resources
from groupaudit.local.stack import TEMPLATE
from groupaudit.pipeline import report_link, runtime
from groupaudit.pipeline.supervision_contact import SupervisionContact, put_contact
from kit import receive_all
from supervision.test_report import DIRECTORY, SALES, TENANT, _audit, _sales_messages

REGION = "eu-west-1"
API_URL = "https://abcdef1234.execute-api.eu-west-1.amazonaws.com/"
KEYS = {fmt: f"reports/{TENANT}/2026-11/report.{fmt}" for fmt in ("json", "html", "xlsx")}
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, str]]]:
    """moto's server on a free loopback port with the template's resources in eu-west-1; acme's
    November audit, directory and supervision contact stored there; no endpoint or region left
    in the environment (the flags must say them)."""
    from moto.server import ThreadedMotoServer

    for key in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_PROFILE", "API_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in FAKE_AWS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        env = create_resources(
            boto3.Session(region_name=REGION), TEMPLATE, prefix="ga-rep", endpoint_url=endpoint
        )
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        with monkeypatch.context() as seeding:  # seed through the functions' clients, then forget them
            seeding.setenv("AWS_ENDPOINT_URL", endpoint)
            seeding.setenv("AWS_DEFAULT_REGION", REGION)
            runtime.reset()
            from groupaudit.settings import load_settings

            store = runtime.store(load_settings())
            msgs = [message("m0", "u2", "2026-11-18T09:00:00+08:00", "早"), *_sales_messages("11-19")]
            _audit(store, "g-sales", "销售部", SALES, msgs, "2026-11-19T18:00:00+08:00", "c" * 32)
            body = json.dumps(DIRECTORY).encode()
            runtime.client("s3").put_object(
                Bucket=env["SNAPSHOT_BUCKET"], Key=f"tenants/{TENANT}/directory.json", Body=body
            )
            url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
            put_contact(store, SupervisionContact(tenant_id=TENANT, type="wecom", url=url, lang="en"))
        runtime.reset()
        yield endpoint, env
    finally:
        runtime.reset()
        moto.stop()


def test_store_makes_the_month_and_prints_its_lasting_link(
    server: tuple[str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint, env = server
    flags = ["--endpoint-url", endpoint, "--region", REGION]
    # WHEN November is stored through the flags, under the stack's API
    assert (
        main(
            ["report", TENANT, "--month", "2026-11", "--lang", "en", "--store", "--api-url", API_URL, *flags]
        )
        == EXIT_OK
    )
    out, err = capsys.readouterr()
    # THEN the one line on stdout is the link to the page under that API, signed with the
    # stack's link key, valid 7 days
    (url,) = out.splitlines()
    assert url.startswith(f"{API_URL}reports/link/")
    secrets = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=REGION)
    key = secrets.get_secret_value(SecretId="groupaudit/report-links")["SecretString"]
    link = report_link.verify_token(key.encode(), url.rpartition("/")[2], time.time())
    assert (link.tenant, link.month, link.fmt) == (TENANT, "2026-11", "html")
    assert abs(link.expires - time.time() - 7 * 24 * 3600) < 60
    # AND the three documents are in the report bucket, the JSON the month's report
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    listed = s3.list_objects_v2(Bucket=env["REPORT_BUCKET"], Prefix="reports/")["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(KEYS.values())
    document = json.loads(s3.get_object(Bucket=env["REPORT_BUCKET"], Key=KEYS["json"])["Body"].read())
    assert (document["tenant_id"], document["period"]["audits"], document["totals"]["questions"]) == (
        TENANT,
        1,
        2,
    )
    # AND it is recorded and announced once, with the same link
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
    (notice,) = receive_all(sqs, env["NOTICE_QUEUE_URL"])
    assert json.loads(notice["Body"])["text"] == (
        f"The monthly assessment report of 2026-11 is ready: {url} (the link works for 7 days)"
    )
    assert err == "stored " + ", ".join(f"s3://{env['REPORT_BUCKET']}/{k}" for k in KEYS.values()) + (
        "; announced to the supervision contact\n"
    )
    from groupaudit.adapters.storage import Storage

    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
    records = ReportStore.over(Storage(env["TABLE_NAME"], dynamodb))
    (record,) = records.reports(TENANT, "2026-11", "2026-11").values()
    assert record["keys"] == KEYS
    # WHEN stored again THEN a new link, and nobody told twice
    assert main(["report", TENANT, "--month", "2026-11", "--store", "--api-url", API_URL, *flags]) == EXIT_OK
    again, err = capsys.readouterr()
    assert again.startswith(f"{API_URL}reports/link/") and err.endswith(
        "; not announced (already, or no contact)\n"
    )
    assert receive_all(sqs, env["NOTICE_QUEUE_URL"]) == []


def test_store_without_the_apis_url_says_where_it_is(
    server: tuple[str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint, _ = server
    flags = ["--endpoint-url", endpoint, "--region", REGION]
    assert main(["report", TENANT, "--month", "2026-11", "--store", *flags]) == EXIT_INVALID
    assert capsys.readouterr().err == (
        "error: API_URL is not set: export API_URL=… with the stack's ApiUrl output "
        '(aws cloudformation describe-stacks --stack-name STACK --query "Stacks[0].Outputs")\n'
    )


def test_store_without_the_link_key_names_the_secret(
    server: tuple[str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint, _ = server
    boto3.client("secretsmanager", endpoint_url=endpoint, region_name=REGION).delete_secret(
        SecretId="groupaudit/report-links", ForceDeleteWithoutRecovery=True
    )
    flags = ["--endpoint-url", endpoint, "--region", REGION, "--api-url", API_URL]
    assert main(["report", TENANT, "--month", "2026-11", "--store", *flags]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert err.startswith("error: the report link key groupaudit/report-links is missing or empty")


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        (["--store", "--out", "reports/"], "--store stores JSON, HTML and XLSX in the report bucket"),
        (["--store", "--format", "html"], "--store stores JSON, HTML and XLSX in the report bucket"),
        (["--api-url", API_URL], "--api-url is for --store"),
    ],
)
def test_flags_that_do_not_go_with_store_are_refused(
    extra: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", TENANT, "--month", "2026-11", *extra]) == EXIT_INVALID
    assert capsys.readouterr().err.startswith(f"error: {error}")


def test_store_under_a_url_that_is_no_url_is_refused(
    server: tuple[str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint, _ = server
    flags = ["--endpoint-url", endpoint, "--region", REGION, "--api-url", "abcdef1234.execute-api"]
    assert main(["report", TENANT, "--month", "2026-11", "--store", *flags]) == EXIT_INVALID
    assert capsys.readouterr().err == (
        "error: the report links' base must be the API's URL (API_URL), got 'abcdef1234.execute-api'\n"
    )
