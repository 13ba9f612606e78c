"""Where a webhook may be sent: never to this machine's or a private network's inside unless
the operator allows it.

Refused by default: loopback, private (RFC 1918, unique-local IPv6), link-local (cloud
metadata services live at 169.254.169.254 and fd00:ec2::254), multicast, reserved and
unspecified addresses, carrier-grade NAT (100.64.0.0/10) and every other range that is not
globally routable, and IPv6 forms that carry one of those inside (IPv4-mapped, 6to4,
Teredo, NAT64). `allowed` networks (the
LODESTONE_WEBHOOK_ALLOWED_NETWORKS setting, e.g. "10.1.0.0/16,127.0.0.1/32") are let through.
Pure: the addresses come from the caller, which resolves the host at send time.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class DestinationPolicy:
    allowed: tuple[Network, ...] = ()

    @classmethod
    def from_setting(cls, networks: str) -> DestinationPolicy:
        """Comma-separated networks or addresses; ValueError names the one that is neither."""
        parsed = []
        for item in (n.strip() for n in networks.split(",")):
            if item:
                try:
                    parsed.append(ipaddress.ip_network(item, strict=False))
                except ValueError as exc:
                    raise ValueError(f"not a network: {item!r}") from exc
        return cls(tuple(parsed))

    def refusal(self, addresses: list[Address]) -> str | None:
        """Why these addresses may not be called, or None when every one may."""
        if not addresses:
            return "the host has no address"
        for address in addresses:
            for plain in _carried(address):
                if any(plain in network for network in self.allowed):
                    continue
                why = _inside(plain)
                if why:
                    return f"{why} address"
        return None

    def literal_refusal(self, host: str) -> str | None:
        """For a definition: a host given as an address (or `localhost`) that will be refused,
        so the mistake shows when the workflow is saved, not when it runs."""
        if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
            ".localhost"
        ):
            return self.refusal([ipaddress.ip_address("127.0.0.1")])
        try:
            return self.refusal([ipaddress.ip_address(host.strip("[]"))])
        except ValueError:
            return None  # a name: checked when it is resolved, at send time


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _carried(address: Address) -> list[Address]:
    """The IPv4 address an IPv6 one routes to, if it carries one (named first: its reason is
    the telling one), then the address itself."""
    if isinstance(address, ipaddress.IPv4Address):
        return [address]
    if address.ipv4_mapped:
        return [address.ipv4_mapped]  # only the IPv4 address counts
    inner: list[Address] = []
    if address.sixtofour:
        inner.append(address.sixtofour)
    if address.teredo:
        inner.append(address.teredo[1])  # the client, the one reached through it
    if address in NAT64:
        inner.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [*inner, address]


def _inside(address: Address) -> str | None:
    for attribute, what in (
        ("is_loopback", "a loopback"),
        ("is_unspecified", "an unspecified"),
        ("is_link_local", "a link-local (cloud metadata)"),
        ("is_multicast", "a multicast"),
        ("is_private", "a private-network"),
        ("is_reserved", "a reserved"),
    ):
        if getattr(address, attribute):
            return what
    if not address.is_global:  # shared (carrier-grade NAT), documentation, benchmarking
        return "a non-public"
    return None
