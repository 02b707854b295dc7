"""Server-side request forgery: a tenant trying to make the functions call their own network.

At registration (``POST /groups``, the service the API calls): every robot URL and platform
endpoint that is not https on 443 to a public host, or that carries credentials, is refused
naming the field. At connect time (the deployed network, ``netguard.PUBLIC``'s rules with DNS
answered by the test): a public-looking name that resolves to a loopback, private, link-local,
metadata or otherwise non-public address is never connected to, for platform calls, robots
and downloads alike.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from groupaudit import netguard, outbound
from groupaudit.connectors.http import Http, PlatformError
from groupaudit.pipeline import api
from groupaudit.settings import Settings
from groupaudit.wire import GroupRegistration
from probes.tally import record

REGISTRATION_URLS = [
    "http://open.feishu.cn/hook",
    "ftp://open.feishu.cn/hook",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "https://127.0.0.1/hook",
    "https://127.1/hook",
    "https://2130706433/hook",
    "https://0x7f000001/hook",
    "https://0177.0.0.1/hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:7f00:1]/hook",
    "https://localhost/hook",
    "https://LocalHost./hook",
    "https://api.localhost/hook",
    "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "https://[fd00:ec2::254]/latest/meta-data",
    "https://[64:ff9b::a9fe:a9fe]/latest",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://metadata/computeMetadata",
    "https://10.0.0.1/hook",
    "https://172.16.0.1/hook",
    "https://192.168.1.1/hook",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://[::]/hook",
    "https://224.0.0.1/hook",
    "https://255.255.255.255/hook",
    "https://[fe80::1]/hook",
    "https://nas.local/hook",
    "https://open.feishu.cn:22/hook",
    "https://open.feishu.cn:8443/hook",
    "https://open.feishu.cn:0/hook",
    "https://user:pass@open.feishu.cn/hook",
    "https://open.feishu.cn@127.0.0.1/hook",
    "https://127.0.0.1%2f@open.feishu.cn/hook",
]


class _Registry:
    """The two calls registration makes of the group registry (nothing else is reached)."""

    def __init__(self) -> None:
        self.stored: list[GroupRegistration] = []

    def get_group(self, tenant: str, group: str) -> GroupRegistration | None:
        return None

    def put_group(self, registration: GroupRegistration) -> None:
        self.stored.append(registration)


def _deps(registry: _Registry) -> api.ApiDeps:
    settings = Settings.model_construct(
        table_name="groupaudit", signature_tolerance_s=300, secrets_prefix="groupaudit/"
    )  # the table is never reached: the store is the stand-in registry
    return api.ApiDeps(
        store=SimpleNamespace(groups=registry),  # type: ignore[arg-type]  # its group registry only
        fanout=None,  # type: ignore[arg-type]
        settings=settings,
        clock=lambda: datetime.now(UTC),
        secret_for=lambda tenant: None,
    )


def _registration(where: str, url: str) -> GroupRegistration:
    """The registration as the HTTP layer hands it to the service (validated), or the 422 it
    answers when the model itself refuses it (a URL that is not http(s))."""
    document: dict = {"tenant_id": "acme", "group_id": "grp-new", "platform": "slack", "kind": "project"}
    if where == "notice":
        document["notice"] = {"type": "slack", "url": url}
    else:
        document["source"] = {"type": "slack", "secret_name": "tenants/acme/slack", "base_url": url}
    try:
        return GroupRegistration.model_validate(document)
    except ValidationError as exc:
        raise api.InvalidRequest("invalid request", api.validation_details(exc.errors(), ("body",))) from None


@pytest.mark.parametrize("where", ["notice", "source"])
@pytest.mark.parametrize("url", REGISTRATION_URLS)
def test_registration_refuses_a_url_into_the_functions_network(where, url):
    # GIVEN a registration pointing a robot or a platform endpoint at a non-public target
    store = _Registry()
    # WHEN acme registers it
    with pytest.raises(api.InvalidRequest) as raised:
        api.register_group(_deps(store), "acme", _registration(where, url))
    # THEN it is refused naming the field, nothing is stored, and the URL is not echoed
    locs = [detail.loc for detail in raised.value.details]
    field = ["body", where, "url" if where == "notice" else "base_url"]
    refused = store.stored == [] and any(loc[: len(field)] == field for loc in locs)
    record("ssrf at registration", "refused" if refused else "accepted")
    assert any(loc[: len(field)] == field for loc in locs), locs
    assert store.stored == []
    assert "pass@" not in json.dumps([d.model_dump() for d in raised.value.details])


def test_a_public_robot_url_is_registered():
    store = _Registry()
    api.register_group(
        _deps(store), "acme", _registration("notice", "https://open.feishu.cn/open-apis/bot/v2/hook/x")
    )
    assert [str(r.notice.url) for r in store.stored] == ["https://open.feishu.cn/open-apis/bot/v2/hook/x"]


CONNECT_ANSWERS = {
    "loopback": ["127.0.0.1"],
    "loopback-v6": ["::1"],
    "metadata": ["169.254.169.254"],
    "metadata-v6": ["fd00:ec2::254"],
    "private-10": ["10.1.2.3"],
    "private-172": ["172.31.0.5"],
    "private-192": ["192.168.0.10"],
    "cgnat": ["100.100.100.200"],
    "unspecified": ["0.0.0.0"],
    "mapped-loopback": ["::ffff:127.0.0.1"],
    "nat64-metadata": ["64:ff9b::a9fe:a9fe"],
    "6to4-private": ["2002:0a00:0001::1"],
    "link-local-v6": ["fe80::1"],
    "unique-local-v6": ["fd12:3456::1"],
    "public-and-metadata": ["93.184.216.34", "169.254.169.254"],
}


def _network(answers: list[str], seen: list[str]) -> netguard.Network:
    def resolve(host: str, port: int) -> list[tuple[int, str]]:
        seen.append(host)
        return [(0, address) for address in answers]

    return netguard.Network("deployed", resolver=resolve)


@pytest.mark.parametrize("kind", list(CONNECT_ANSWERS))
def test_a_platform_call_to_a_name_resolving_inside_is_never_connected(kind, monkeypatch):
    # GIVEN a platform endpoint whose public-looking name resolves to a non-public address
    seen: list[str] = []
    connected: list[object] = []
    monkeypatch.setattr("socket.create_connection", lambda *a, **k: connected.append(a))
    http = Http(
        "demo", "https://rebind.example", network=_network(CONNECT_ANSWERS[kind], seen), max_retries=0
    )
    # WHEN the worker calls it
    with pytest.raises(PlatformError) as raised:
        http.request("GET", "/api")
    # THEN refused for good, naming why; no socket was opened
    refused = connected == [] and not raised.value.retryable
    record("ssrf at connect time", "refused" if refused else "accepted")
    assert "the functions do not call it" in str(raised.value)
    assert not raised.value.retryable
    assert connected == [] and seen == ["rebind.example"]


@pytest.mark.parametrize("kind", ["loopback", "metadata", "private-10", "public-and-metadata"])
def test_a_robot_or_download_url_resolving_inside_is_never_connected(kind, monkeypatch):
    seen: list[str] = []
    connected: list[object] = []
    monkeypatch.setattr("socket.create_connection", lambda *a, **k: connected.append(a))
    network = _network(CONNECT_ANSWERS[kind], seen)
    # the pool robots, webhooks and downloads post and fetch through
    with pytest.raises(netguard.AddressRefused) as raised:
        outbound.Pool().request("POST", "https://robot.example/send", network=network, timeout=1, body=b"{}")
    record("ssrf at connect time", "refused" if connected == [] else "accepted")
    assert "the functions do not call it" in str(raised.value)
    assert connected == []


@pytest.mark.parametrize(
    "url",
    [
        "http://robot.example/x",
        "https://robot.example:8443/x",
        "https://u:p@robot.example/x",
        "ftp://robot.example/",
    ],
)
def test_the_deployed_network_refuses_other_schemes_ports_and_credentials_before_any_lookup(url):
    seen: list[str] = []
    with pytest.raises(netguard.AddressRefused):
        outbound.Pool().request("GET", url, network=_network(["93.184.216.34"], seen), timeout=1)
    record("ssrf at connect time", "refused" if seen == [] else "accepted")
    assert seen == []
