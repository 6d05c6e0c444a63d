"""Which addresses a webhook may be sent to (pure, no DNS)."""

from __future__ import annotations

import asyncio
import ipaddress
from datetime import UTC, datetime

import httpx
import pytest

from service.db.webhook_models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from service.webhooks import sender, ssrf
from service.webhooks.repository import Work
from service.webhooks.signing import new_secret

NONE: tuple[ssrf.Network, ...] = ()
LOOPBACK_ALLOWED = ssrf.parse_networks("127.0.0.0/8, 10.1.0.0/16")


def ip(text: str) -> ssrf.Address:
    return ipaddress.ip_address(text)


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "fd00:ec2::254", "169.254.1.1", "fe80::1", "0.0.0.0", "::", "224.0.0.1"],
)
def test_link_local_and_metadata_are_refused_even_when_allow_listed(address: str) -> None:
    everything = ssrf.parse_networks("0.0.0.0/0, ::/0")
    assert ssrf.refusal(ip(address), everything) is not None
    assert ssrf.refusal(ip(address), NONE) is not None


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "::1", "10.0.0.5", "172.16.3.4", "192.168.1.1", "fc00::1", "100.64.0.1"],
)
def test_loopback_and_private_are_refused_unless_allow_listed(address: str) -> None:
    reason = ssrf.refusal(ip(address), NONE)
    assert reason is not None and "not in FTJOBS_WEBHOOK_ALLOWED_NETWORKS" in reason
    assert (
        ssrf.refusal(
            ip(address),
            ssrf.parse_networks(f"{address}/128" if ":" in address else f"{address}/32"),
        )
        is None
    )


def test_the_allow_list_admits_only_what_it_names() -> None:
    assert ssrf.refusal(ip("127.0.0.1"), LOOPBACK_ALLOWED) is None
    assert ssrf.refusal(ip("10.1.2.3"), LOOPBACK_ALLOWED) is None
    assert ssrf.refusal(ip("10.2.0.1"), LOOPBACK_ALLOWED) is not None
    assert ssrf.refusal(ip("192.168.0.1"), LOOPBACK_ALLOWED) is not None


def test_public_addresses_pass() -> None:
    assert ssrf.refusal(ip("93.184.215.14"), NONE) is None
    assert ssrf.refusal(ip("2606:4700::1111"), NONE) is None


def test_ipv6_forms_of_a_private_ipv4_are_judged_as_it() -> None:
    for form in ("::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "2002:a00:1::"):
        assert ssrf.refusal(ip(form), NONE) is not None, form


# Each form reaches the IPv4 host it embeds, so it is judged as that host.
EMBEDDED = [
    ("::ffff:169.254.169.254", "169.254.169.254"),  # IPv4-mapped
    ("::ffff:0:a9fe:a9fe", "169.254.169.254"),  # IPv4-translated (SIIT)
    ("::ffff:0:127.0.0.1", "127.0.0.1"),
    ("::a9fe:a9fe", "169.254.169.254"),  # IPv4-compatible (deprecated)
    ("::127.0.0.1", "127.0.0.1"),
    ("::10.0.0.1", "10.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64, well-known prefix
    ("64:ff9b::7f00:1", "127.0.0.1"),
    ("64:ff9b:1::a9fe:a9fe", "169.254.169.254"),  # NAT64, local-use prefix
    ("64:ff9b:1::a00:1", "10.0.0.1"),
    ("2002:a9fe:a9fe::1", "169.254.169.254"),  # 6to4
    ("2002:7f00:1::", "127.0.0.1"),
    ("2001:0:5db8:d70e:0:0:5601:5601", "169.254.169.254"),  # Teredo client (obfuscated)
    ("2001:0:a00:1:0:0:a247:28f1", "10.0.0.1"),  # Teredo server
]


@pytest.mark.parametrize(("address", "embedded"), EMBEDDED)
def test_ipv6_forms_of_an_ipv4_host_are_refused_for_what_it_is(address: str, embedded: str) -> None:
    reason = ssrf.refusal(ip(address), NONE)
    assert reason is not None and embedded in reason and str(ip(address)) in reason
    assert ip(embedded) in ssrf.embedded_ipv4(ip(address))


@pytest.mark.parametrize(
    "address",
    ["::ffff:0:a9fe:a9fe", "::a9fe:a9fe", "64:ff9b::a9fe:a9fe", "64:ff9b:1::a9fe:a9fe"],
)
def test_an_embedded_metadata_address_is_refused_even_when_everything_is_allowed(
    address: str,
) -> None:
    everything = ssrf.parse_networks("0.0.0.0/0, ::/0")
    reason = ssrf.refusal(ip(address), everything)
    assert reason is not None and "metadata" in reason


def test_an_embedded_private_host_passes_when_its_ipv4_network_is_allowed() -> None:
    """The allow-list names the host's network, whichever way its address is written."""
    for form in ("::ffff:10.1.2.3", "::ffff:0:10.1.2.3", "::10.1.2.3", "64:ff9b::10.1.2.3"):
        assert ssrf.refusal(ip(form), LOOPBACK_ALLOWED) is None, form


def test_embeddings_of_public_hosts_pass_where_the_ipv6_range_is_public() -> None:
    for form in ("::ffff:93.184.215.14", "64:ff9b::5db8:d70e", "2002:5db8:d70e::1"):
        assert ssrf.refusal(ip(form), NONE) is None, form
    # Local-use NAT64 and Teredo are not public ranges themselves: allow-listed only.
    for form in ("64:ff9b:1::5db8:d70e", "2001:0:5db8:d70e:0:0:a247:28f1"):
        assert ssrf.refusal(ip(form), NONE) is not None, form
    allowed = ssrf.parse_networks("64:ff9b:1::/48")
    assert ssrf.refusal(ip("64:ff9b:1::5db8:d70e"), allowed) is None


def test_loopback_and_unspecified_are_not_read_as_ipv4_compatible() -> None:
    assert ssrf.embedded_ipv4(ip("::1")) == []
    assert ssrf.embedded_ipv4(ip("::")) == []
    assert ssrf.refusal(ip("::1"), ssrf.parse_networks("::1/128")) is None


def test_deprecated_site_local_is_refused_unless_allow_listed() -> None:
    reason = ssrf.refusal(ip("fec0::1"), NONE)
    assert reason is not None and "site-local" in reason
    assert ssrf.refusal(ip("fec0::1"), ssrf.parse_networks("fec0::/10")) is None


@pytest.mark.parametrize(("address", "embedded"), EMBEDDED)
def test_a_dns_answer_in_an_embedded_form_is_refused_at_send_time(
    address: str, embedded: str
) -> None:
    """`pin` (which the sender calls before every attempt) judges DNS answers the same way."""

    async def answers(host: str, port: int) -> list[ssrf.Address]:
        return [ip(address)]

    with pytest.raises(ssrf.UnsafeUrlError, match=embedded.replace(".", r"\.")):
        asyncio.run(ssrf.pin("https://innocent.example/hook", NONE, answers))


def test_the_sender_refuses_an_embedded_answer_without_connecting() -> None:
    """Before every attempt the sender checks the DNS answer with the same rules."""
    requests: list[httpx.Request] = []

    async def answers(host: str, port: int) -> list[ssrf.Address]:
        return [ip("64:ff9b:1::a9fe:a9fe")]

    def receive(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(204)

    out = sender.Outbound(NONE, timeout=5, resolver=answers, transport=httpx.MockTransport(receive))
    endpoint = WebhookEndpoint(url="https://innocent.example/hook", secret=new_secret())
    event = WebhookEvent(id="evt_x", type="ping", created_at=datetime.now(UTC), data={})
    work = Work(delivery=WebhookDelivery(id="dlv_x"), endpoint=endpoint, event=event)
    result = asyncio.run(sender.send(out, work))
    assert requests == [] and result.status_code is None
    assert result.error is not None and "169.254.169.254" in result.error


def test_one_bad_address_refuses_the_whole_name() -> None:
    with pytest.raises(ssrf.UnsafeUrlError, match=r"10\.0\.0\.1"):
        ssrf.pick_address("mixed.example", [ip("93.184.215.14"), ip("10.0.0.1")], NONE)
    with pytest.raises(ssrf.UnsafeUrlError, match="does not resolve"):
        ssrf.pick_address("nowhere.example", [], NONE)
    assert ssrf.pick_address("ok.example", [ip("93.184.215.14")], NONE) == ip("93.184.215.14")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("not a url", "only http and https"),
        ("http:///nohost", "no host"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
        ("http://METADATA.google.internal./", "metadata"),
        ("https://example.com/" + "a" * 2100, "longer than"),
    ],
)
def test_urls_refused_before_any_lookup(url: str, message: str) -> None:
    with pytest.raises(ssrf.UnsafeUrlError, match=message):
        ssrf.check_url(url)


def test_a_url_keeps_its_host_and_default_port() -> None:
    target = ssrf.check_url("https://Hooks.Example.com/in?x=1")
    assert (target.host, target.port) == ("hooks.example.com", 443)
    assert ssrf.check_url("http://[::1]:8080/x").host == "::1"


def test_pin_checks_what_the_resolver_answers() -> None:
    async def rebinding(host: str, port: int) -> list[ssrf.Address]:
        return [ip("169.254.169.254")]

    with pytest.raises(ssrf.UnsafeUrlError, match="metadata"):
        asyncio.run(ssrf.pin("https://innocent.example/hook", NONE, rebinding))


def test_bad_allowed_networks_say_which_setting() -> None:
    with pytest.raises(ValueError, match="FTJOBS_WEBHOOK_ALLOWED_NETWORKS"):
        ssrf.parse_networks("10.0.0.0/8, nonsense")


def test_the_request_goes_to_the_checked_address_under_the_original_name() -> None:
    https = ssrf.Pinned(ssrf.check_url("https://hooks.example:8443/in?x=1"), ip("93.184.215.14"))
    url, host, extensions = sender.pinned_request(https)
    assert str(url) == "https://93.184.215.14:8443/in?x=1"
    assert host == "hooks.example:8443"
    assert extensions == {"sni_hostname": "hooks.example"}  # SNI and certificate check
    plain = ssrf.Pinned(ssrf.check_url("http://hooks.example/x"), ip("2606:4700::1111"))
    url, host, extensions = sender.pinned_request(plain)
    assert (str(url), host, extensions) == ("http://[2606:4700::1111]/x", "hooks.example", {})


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.0.0.5", "fec0::1", "198.18.0.1"])
def test_a_refusal_names_the_setting_and_a_value_that_allows_the_address(address: str) -> None:
    reason = ssrf.refusal(ip(address), NONE)
    assert reason is not None
    suggested = reason.rsplit("FTJOBS_WEBHOOK_ALLOWED_NETWORKS=", 1)[1].split()[0]
    assert ssrf.refusal(ip(address), ssrf.parse_networks(suggested)) is None
