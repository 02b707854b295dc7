"""Log scans: everything the functions log over a run — registration and audit requests (one
forged), a worker audit of a group whose messages hold personal data, a bad snapshot, the
notifier posting to a signed DingTalk robot — holds no secret and no unmasked personal data.

The run happens once (module fixture) with every log line captured, as deployed (the
template's log level, Powertools' JSON on stdout, and the service logger's records); each
secret and each piece of personal data is then a case of its own.
"""

from __future__ import annotations

import io
import json
import logging
import time
import uuid
from datetime import UTC, datetime

import pytest

from groupaudit.local.api_server import SERVICE
from groupaudit.local.invoke import load_handler, sqs_event
from groupaudit.local.peers.robots import RobotPeer
from groupaudit.local.seed import seed_tenant
from groupaudit.pipeline import api, runtime
from groupaudit.settings import load_settings
from groupaudit.wire import NoticeChannel
from kit import TENANT, LogTap, invoke, receive_all
from probes.signed import ACME, SECRETS, call
from probes.tally import record
from probes.world import moto_world

ROBOT_TOKEN = "5d1f0c9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e"
ROBOT_SIGN_SECRET = "SECa1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829"
PHONE, RESIDENT_ID, EMAIL = "13812345678", "11010519491231002X", "zhang.san.pii@example.com"
PII_TEXT = f"我的手机{PHONE}，身份证{RESIDENT_ID}，邮箱 {EMAIL}，有事联系"

SECRET_VALUES = {
    "tenant-api-secret-acme": SECRETS[ACME].decode(),
    "tenant-api-secret-globex": SECRETS["globex"].decode(),
    "robot-access-token": ROBOT_TOKEN,
    "robot-signing-secret": ROBOT_SIGN_SECRET,
}
PERSONAL_DATA = {"mobile-number": PHONE, "resident-id": RESIDENT_ID, "email": EMAIL}


def _audit(world: dict, group: str) -> str | None:
    """The status of the group's run, recorded by the worker (None: no run recorded)."""
    audit_id = uuid.uuid4().hex
    body = {
        "tenant_id": ACME,
        "group_id": group,
        "audit_id": audit_id,
        "trigger": "manual",
        "requested_at": datetime.now(UTC).isoformat(),
    }
    message = {"MessageId": audit_id, "ReceiptHandle": audit_id, "Body": json.dumps(body)}
    invoke("audit_worker", sqs_event([message], world["audit_arn"]))
    run = world["store"].runs.run(ACME, group, audit_id)
    return run.status if run is not None else None


@pytest.fixture(scope="module")
def logged() -> str:
    """Everything logged over the run, as one text."""
    records: list[logging.LogRecord] = []
    tap = LogTap(records)
    stdout = io.StringIO()
    with (
        moto_world(),
        pytest.MonkeyPatch.context() as patch,
        RobotPeer(dingtalk={ROBOT_TOKEN: ROBOT_SIGN_SECRET}) as robots,
    ):
        for function in ("api", "audit_worker", "notifier"):
            load_handler(function)
        service = logging.getLogger(SERVICE)
        for handler in service.handlers:
            if isinstance(handler, logging.StreamHandler):
                patch.setattr(handler, "stream", stdout)
        service.addHandler(tap)
        try:
            settings = load_settings()
            store, s3, sqs = runtime.store(settings), runtime.client("s3"), runtime.client("sqs")
            secrets = runtime.client("secretsmanager")
            for tenant, secret in SECRETS.items():
                secrets.create_secret(
                    Name=api.tenant_secret_name(settings, tenant), SecretString=secret.decode()
                )
            secrets.create_secret(
                Name=f"{settings.secrets_prefix}tenants/acme/robot", SecretString=ROBOT_SIGN_SECRET
            )
            channel = NoticeChannel(
                type="dingtalk", url=robots.dingtalk_url(ROBOT_TOKEN), secret_name="tenants/acme/robot"
            )
            seed_tenant(
                TENANT,
                s3_client=s3,
                store=store,
                snapshot_bucket=settings.snapshot_bucket,
                backup_bucket=settings.backup_bucket,
                channel=channel,
            )
            world = {
                "store": store,
                "audit_arn": sqs.get_queue_attributes(
                    QueueUrl=settings.audit_queue_url, AttributeNames=["QueueArn"]
                )["Attributes"]["QueueArn"],
            }
            # the group's messages hold personal data
            key = "snapshots/acme/grp-sales.json"
            document = json.loads(s3.get_object(Bucket=settings.snapshot_bucket, Key=key)["Body"].read())
            document["messages"][0]["text"] = PII_TEXT
            s3.put_object(
                Bucket=settings.snapshot_bucket,
                Key=key,
                Body=json.dumps(document, ensure_ascii=False).encode(),
            )
            # API: a listing, an audit request, a forged one, an invalid registration
            assert call("GET", "/groups")[0] == 200
            assert call("POST", "/audits", {"tenant_id": ACME, "group_id": "grp-sales"})[0] == 202
            assert call("POST", "/audits", {"tenant_id": ACME, "group_id": "all"}, secret=b"forged")[0] == 401
            bad = {
                "tenant_id": ACME,
                "group_id": "..",
                "platform": "dingtalk",
                "notice": {"type": "dingtalk", "url": robots.dingtalk_url(ROBOT_TOKEN)},
            }
            assert call("POST", "/groups", bad, timestamp=str(int(time.time()) + 1))[0] == 422
            receive_all(sqs, settings.audit_queue_url)
            # the worker: the personal-data group audited, a bad snapshot failed
            assert _audit(world, "grp-sales") == "succeeded"
            s3.put_object(
                Bucket=settings.snapshot_bucket, Key="snapshots/acme/grp-rd.json", Body=PII_TEXT.encode()
            )
            assert _audit(world, "grp-rd") == "failed"
            # the notifier: the digest to the signed robot
            notices = receive_all(sqs, settings.notice_queue_url)
            assert notices, "the personal-data group has a notice"
            answer = invoke("notifier", sqs_event(notices, "arn:aws:sqs:us-east-1:000000000000:notices"))
            assert answer == {"batchItemFailures": []}
            assert robots.delivered, "the robot got the digest"
            assert PHONE not in robots.delivered[0].text  # masked in the notice too
        finally:
            service.removeHandler(tap)
    text = json.dumps([vars(r) for r in records], default=str, ensure_ascii=False) + stdout.getvalue()
    for line in ("audit finished", "request refused", "notice handled"):
        assert line in text, f"the run logged {line!r}"
    return text


@pytest.mark.parametrize("name", list(SECRET_VALUES))
def test_no_secret_is_in_the_logs(logged, name):
    leaked = SECRET_VALUES[name] in logged
    record("log scans", "leaked" if leaked else "refused")
    assert not leaked, name


@pytest.mark.parametrize("name", list(PERSONAL_DATA))
def test_no_unmasked_personal_data_is_in_the_logs(logged, name):
    leaked = PERSONAL_DATA[name] in logged
    record("log scans", "leaked" if leaked else "refused")
    assert not leaked, name
