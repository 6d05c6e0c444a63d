"""Which addresses a webhook may be sent to (pure, no DNS)."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from service.webhooks import sender, ssrf

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
    assert reason is not None and "allowed networks" in reason
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
