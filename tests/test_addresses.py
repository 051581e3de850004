import ipaddress

import pytest

from summarizer.config import parse_allow_entry
from summarizer.sources.addresses import AddressPolicy, kind_of, never_resolves


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("10.0.0.5", "private"), ("172.16.3.4", "private"), ("192.168.1.1", "private"), ("fd12::1", "private"),
    ("169.254.169.254", "cloud metadata"), ("fd00:ec2::254", "cloud metadata"), ("100.100.100.200", "cloud metadata"),
    ("169.254.1.1", "link-local"), ("fe80::1", "link-local"), ("::ffff:10.0.0.1", "private"),
    ("0.0.0.0", "private"), ("100.64.0.1", "non-public"), ("224.0.0.1", "non-public"),
    ("93.184.216.34", None), ("2606:4700::1111", None),
])
def test_kinds(address: str, kind: str | None) -> None:
    assert kind_of(ipaddress.ip_address(address)) == kind


def test_policy_refuses_by_default_and_names_the_host() -> None:
    policy = AddressPolicy.from_entries([])
    assert policy.refusal("intranet.corp", "10.1.2.3") == \
        "intranet.corp (10.1.2.3) is a private address; refused (add it to fetch.allow_hosts to allow)"
    assert policy.refusal("10.1.2.3", "10.1.2.3").startswith("10.1.2.3 is a private address")
    assert policy.refusal("example.org", "93.184.216.34") is None


def test_allow_list_by_cidr_ip_and_name() -> None:
    policy = AddressPolicy.from_entries(["10.20.0.0/16", "127.0.0.1", "Wiki.Corp."])
    assert policy.refusal("a", "10.20.9.9") is None
    assert policy.refusal("a", "10.21.0.1") is not None
    assert policy.refusal("a", "127.0.0.1") is None and policy.refusal("a", "127.0.0.2") is not None
    assert policy.refusal("wiki.corp", "192.168.0.7") is None  # a listed name may resolve anywhere
    assert policy.refusal("a", "::1") is not None  # an IPv4 entry does not cover IPv6 loopback


def test_bad_entries_are_rejected() -> None:
    for entry in ["", "10.0.0.0/33", "http://x", "a b", ".corp"]:
        with pytest.raises(ValueError):
            parse_allow_entry(entry)


def test_invalid_names_never_resolve() -> None:
    assert never_resolves("news.invalid") and never_resolves("INVALID.") and not never_resolves("invalid.com")
