"""Where webhooks may go: the policy (pure) and the resolution it is applied to at send time."""

from __future__ import annotations

import ipaddress

import pytest

from lodestone_automation.domain.destinations import DestinationPolicy
from lodestone_automation.effects import Refused, pinned


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("198.18.0.1", "private"),  # benchmarking
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("2002:a9fe:a9fe::", "metadata"),  # 6to4 around 169.254.169.254
        ("64:ff9b::a9fe:a9fe", "metadata"),  # NAT64 around 169.254.169.254
        ("2001:0:4136:e378:8000:63bf:f5fe:fffe", "private"),  # Teredo, client 10.1.0.1
    ],
)
def test_the_inside_is_refused(address: str, why: str) -> None:
    refusal = DestinationPolicy().refusal([ipaddress.ip_address(address)])
    assert refusal is not None and why in refusal


def test_public_addresses_pass_and_allowed_networks_are_let_through() -> None:
    assert DestinationPolicy().refusal([ipaddress.ip_address("93.184.216.34")]) is None
    assert DestinationPolicy().refusal([ipaddress.ip_address("2606:2800:220:1::1")]) is None
    assert DestinationPolicy().refusal([ipaddress.ip_address("2002:5db8:d822::")]) is None
    policy = DestinationPolicy.from_setting("10.1.0.0/16, 127.0.0.1")
    assert policy.refusal([ipaddress.ip_address("10.1.9.9")]) is None
    assert policy.refusal([ipaddress.ip_address("127.0.0.1")]) is None
    assert policy.refusal([ipaddress.ip_address("10.2.0.1")]) is not None
    # One refused address among several refuses the host (a name may resolve to both).
    both = [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.2.0.1")]
    assert policy.refusal(both) is not None
    with pytest.raises(ValueError, match="not a network"):
        DestinationPolicy.from_setting("10.0.0.0/33")


def test_addresses_and_localhost_in_a_definition_are_refused_when_saved() -> None:
    policy = DestinationPolicy()
    assert policy.literal_refusal("169.254.169.254") is not None
    assert policy.literal_refusal("[::1]") is not None
    assert policy.literal_refusal("LOCALHOST") is not None
    assert policy.literal_refusal("crm.example.com") is None  # resolved at send time


async def test_a_name_is_resolved_and_pinned_at_send_time() -> None:
    with pytest.raises(Refused, match="loopback"):
        await pinned("http://localhost:9/hook", DestinationPolicy())
    target, host, server_name = await pinned(
        "https://localhost:8443/hook?x=1", DestinationPolicy.from_setting("127.0.0.0/8, ::1")
    )
    assert target in ("https://127.0.0.1:8443/hook?x=1", "https://[::1]:8443/hook?x=1")
    assert (host, server_name) == ("localhost:8443", "localhost")
    with pytest.raises(Refused, match="resolve"):
        await pinned("http://no-such-host.invalid/x", DestinationPolicy())
