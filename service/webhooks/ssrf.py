"""Outbound safety: where a webhook may be sent.

A consumer's URL is resolved and every address it resolves to is checked, at registration and
again before each attempt; the attempt then connects to the address that was checked (see
`sender.pinned_request`), so a DNS answer that changes between check and connect (rebinding)
cannot steer a request inside. Link-local and cloud metadata addresses are always refused;
loopback, private and other non-global ranges only pass when the operator's allow-list names
them (internal consumers live on private networks).

An IPv6 address can spell an IPv4 host (IPv4-mapped, -translated and -compatible forms, NAT64,
6to4, Teredo): each IPv4 address it embeds is judged as if it had been given, so
`[::ffff:0:a9fe:a9fe]` is refused as 169.254.169.254.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[Address]]]

MAX_URL_LENGTH = 2048
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog"})
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
# Never a destination, whatever the allow-list says.
_ALWAYS = ("169.254.0.0/16", "fe80::/10", "0.0.0.0/8", "::/128", "224.0.0.0/4", "240.0.0.0/4")
ALWAYS_REFUSED = tuple(ipaddress.ip_network(n) for n in (*_ALWAYS, "ff00::/8"))
# Refused unless allow-listed; named so the refusal says which rule applied.
PRIVATE = {
    "loopback": ("127.0.0.0/8", "::1/128"),
    "private": ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "100.64.0.0/10"),
    # Deprecated (RFC 3879) but still routed inside some networks, like its successor fc00::/7.
    "site-local": ("fec0::/10",),
    # RFC 8215: an operator's own NAT64 prefix, in front of whatever IPv4 network it serves.
    "local-use NAT64": ("64:ff9b:1::/48",),
}
_PRIVATE = tuple(
    (kind, ipaddress.ip_network(n)) for kind, networks in PRIVATE.items() for n in networks
)
# Other spellings of one IPv4 host, in its low 32 bits (the IPv4-mapped form ::ffff:0:0/96 is
# the standard library's `ipv4_mapped`): the IPv6 address means nothing but that host.
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # SIIT, RFC 2765
_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated, RFC 4291; :: and ::1 are not
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known prefix, RFC 6052
_SPELLINGS = (_TRANSLATED, _COMPATIBLE, _NAT64)
# Local-use NAT64 puts the IPv4 address where the operator's prefix length says; the low 32 bits
# (a /96 prefix, the usual one) are decoded, and the range itself passes only when allow-listed.
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


class UnsafeUrlError(ValueError):
    """The URL may not be used as a webhook destination; the message says why."""


@dataclass(frozen=True)
class Target:
    url: httpx.URL
    host: str
    port: int


@dataclass(frozen=True)
class Pinned:
    target: Target
    address: Address


def parse_networks(value: str) -> tuple[Network, ...]:
    """`FTJOBS_WEBHOOK_ALLOWED_NETWORKS`: comma-separated CIDRs (a bare address is a /32)."""
    try:
        return tuple(
            ipaddress.ip_network(p.strip(), strict=False) for p in value.split(",") if p.strip()
        )
    except ValueError as error:
        raise ValueError(f"FTJOBS_WEBHOOK_ALLOWED_NETWORKS: {error}") from error


def check_url(url: str) -> Target:
    """The checks that need no DNS: scheme, host, length, known metadata names."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrlError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError) as error:
        raise UnsafeUrlError(f"not a valid URL: {error}") from error
    if parsed.scheme not in ("http", "https"):
        raise UnsafeUrlError("only http and https URLs can receive webhooks")
    host = parsed.host.rstrip(".").lower()
    if not host:
        raise UnsafeUrlError("the URL has no host")
    if host in METADATA_HOSTS:
        raise UnsafeUrlError(f"{host} is a cloud metadata service and never receives webhooks")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return Target(parsed, host, port)


def refusal(address: Address, allowed: Sequence[Network]) -> str | None:
    """Why `address` may not be connected to, or None when it may. The delivery path checks
    every DNS answer with this function too (through `pin`)."""
    for judged in _judged_as(address):
        reason = _refusal(judged, allowed)
        if reason is not None:
            shown = str(judged) if judged == address else f"{judged} (embedded in {address})"
            return f"{shown} {reason}"
    return None


def _refusal(address: Address, allowed: Sequence[Network]) -> str | None:
    if address in METADATA_ADDRESSES:
        return "is a cloud metadata address"
    if any(address in network for network in ALWAYS_REFUSED):
        return "is link-local, multicast or unspecified"
    if any(address in network for network in allowed if network.version == address.version):
        return None
    for kind, network in _PRIVATE:
        if network.version == address.version and address in network:
            return f"is a {kind} address ({network}) {not_allowed(network)}"
    if not address.is_global:
        return f"is a reserved address {not_allowed(ipaddress.ip_network(address))}"
    return None


ALLOW_SETTING = "FTJOBS_WEBHOOK_ALLOWED_NETWORKS"


def not_allowed(network: Network) -> str:
    """Names the setting and what to put in it: the operator reading a refused registration
    (often a developer pointing a webhook at their own machine) learns the fix from it."""
    return (
        f"not in {ALLOW_SETTING} (comma-separated CIDRs); to allow it, the operator sets "
        f"{ALLOW_SETTING}={network} on the API and the workers"
    )


def _judged_as(address: Address) -> list[Address]:
    """What must pass for `address` to pass. A spelling of an IPv4 host is that host alone; a
    tunnel (6to4, Teredo) or local NAT64 address must pass itself and every IPv4 it embeds."""
    embedded = embedded_ipv4(address)
    if isinstance(address, ipaddress.IPv4Address) or not embedded:
        return [address]
    if address.ipv4_mapped is not None or any(address in n for n in _SPELLINGS):
        return list(embedded)
    return [*embedded, address]


def embedded_ipv4(address: Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 hosts an IPv6 address reaches (both ends of a Teredo address); none for a
    plain IPv6 or an IPv4 address."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)  # (server, client), the client already de-obfuscated
    if address in _COMPATIBLE and int(address) <= 1:
        return []  # :: and ::1 are themselves, not 0.0.0.0 and 0.0.0.1
    if address in _NAT64_LOCAL or any(address in n for n in _SPELLINGS):
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    return []


def pick_address(host: str, addresses: Iterable[Address], allowed: Sequence[Network]) -> Address:
    """Every address must pass (a name with one bad record is refused as a whole, so which one
    the connection would use never matters); the first is the one connected to."""
    found = list(dict.fromkeys(addresses))
    if not found:
        raise UnsafeUrlError(f"{host} does not resolve to any address")
    for address in found:
        reason = refusal(address, allowed)
        if reason is not None:
            shown = "" if str(address) == host else f"{host} resolves to "
            raise UnsafeUrlError(f"{shown}{reason}")
    return found[0]


async def resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UnsafeUrlError(f"cannot resolve {host}: {error.strerror}") from error
    # The scope id of a link-local IPv6 answer ("fe80::1%eth0") is not part of the address.
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


async def pin(url: str, allowed: Sequence[Network], resolver: Resolver = resolve) -> Pinned:
    """Checks `url` and everything its host resolves to now; returns the address to use."""
    target = check_url(url)
    address = pick_address(target.host, await resolver(target.host, target.port), allowed)
    return Pinned(target, address)
