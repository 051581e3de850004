"""Which network addresses a fetch may connect to (pure: no I/O).

A feed is data from strangers: one whose links point at 127.0.0.1, 10.x,
169.254.169.254 or an intranet name would make a nightly server summarize and
publish its own intranet. So every address a feed or page URL resolves to
must be public, unless ``fetch.allow_hosts`` lists it (an IP, a CIDR, or an
exact host name) for intranet feeds.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ..config import IPNetwork, parse_allow_entry

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata endpoints. Most are already non-global (link-local or shared
# space); listed so the refusal reason can say what they are.
METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, DigitalOcean, OpenStack
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
}

# RFC 6761: names under .invalid must never resolve, so resolvers may answer for them
# without asking DNS; doing so here means no query leaves the machine for them.
NEVER_RESOLVES = (".invalid",)


def kind_of(address: IPAddress) -> str | None:
    """Why an address is refused by default ('loopback', 'private', ...), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA:
        return "cloud metadata"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_private:
        return "private"
    if address.is_multicast or address.is_unspecified or address.is_reserved or not address.is_global:
        return "non-public"
    return None


@dataclass(frozen=True)
class AddressPolicy:
    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def from_entries(cls, entries: list[str]) -> AddressPolicy:
        parsed = [parse_allow_entry(e) for e in entries]
        return cls(
            networks=tuple(p for p in parsed if not isinstance(p, str)),
            hosts=frozenset(p for p in parsed if isinstance(p, str)),
        )

    def host_allowed(self, host: str) -> bool:
        """A host name listed verbatim is trusted whatever it resolves to (an intranet feed)."""
        return host.lower().rstrip(".") in self.hosts

    def refusal(self, host: str, address: str) -> str | None:
        """None if connecting to ``address`` (resolved from ``host``) is fine, else the reason."""
        if self.host_allowed(host):
            return None
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        kind = kind_of(ip)
        if kind is None or any(ip in net for net in self.networks if net.version == ip.version):
            return None
        shown = host if host == address else f"{host} ({address})"
        return f"{shown} is a {kind} address; refused (add it to fetch.allow_hosts to allow)"


def never_resolves(host: str) -> bool:
    name = host.lower().rstrip(".")
    return any(name.endswith(suffix) or name == suffix[1:] for suffix in NEVER_RESOLVES)
