"""Which URLs the bot may fetch: http and https only, and never an address inside the operator's network
(private, loopback, link-local including cloud metadata, multicast, reserved) unless the operator allows that network.
Checked after name resolution, and again on every redirect, so a public name cannot point inside.

Hand-written with the standard library's `ipaddress`: the rule is small and the product's own policy.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from ..errors import BadSetting, RetrievalError

SCHEMES = ("http", "https")
Resolver = Callable[[str, int], list[str]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class RefusedAddress(RetrievalError):
    """A URL the bot will not fetch (its scheme, or where its name points)."""


def resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to (all are checked: any one could be the one connected to)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedAddress(f"Cannot resolve {host}: {exc}") from None
    return sorted({info[4][0] for info in infos})


def _ip(address: str, *, sixtofour: bool = False) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address (without a zone), or the IPv4 one an IPv4-mapped (and, when asked, a 6to4) address carries."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        carried = ip.ipv4_mapped or (ip.sixtofour if sixtofour else None)
        return carried or ip
    return ip


def is_public(address: str) -> bool:
    """A global unicast address; an IPv6 address that carries an IPv4 one (mapped, 6to4) is judged by that."""
    ip = _ip(address, sixtofour=True)
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def parse_networks(text: str) -> tuple[Network, ...]:
    """The operator's allowance ("10.0.0.0/8, 127.0.0.1"): networks the bot may fetch from although they are
    inside (an intranet wiki; the tests' loopback server). Anything else inside stays refused."""
    try:
        return tuple(ipaddress.ip_network(part, strict=False) for part in text.replace(",", " ").split())
    except ValueError as exc:
        raise BadSetting(f"RETRIEVAL_WEB_ALLOW_NETWORKS must be addresses or networks (10.0.0.0/8), not {text!r}: "
                         f"{exc}") from None


def permitted(address: str, allowed: Sequence[Network] = ()) -> bool:
    """Public, or inside a network the operator allows."""
    if is_public(address):
        return True
    ip = _ip(address)
    return any(ip in network for network in allowed if network.version == ip.version)


def refuse_inside(host: str, address: str) -> RefusedAddress:
    return RefusedAddress(f"{host} points inside a private network ({address}); the operator may allow that")


def check_url(url: str, *, allowed: Sequence[Network] = (), resolver: Resolver | None = resolve) -> str:
    """The URL if it may be fetched; RefusedAddress (one line) otherwise. `resolver=None` checks everything
    but a host name's addresses (the fetcher checks those when it connects: retrieval/web/client.py)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises for a bad port
    except ValueError:
        raise RefusedAddress("That is not a valid web address") from None
    if parts.scheme.lower() not in SCHEMES:
        raise RefusedAddress(f"Only http and https addresses can be added, not {parts.scheme or 'this'!r}")
    if not parts.hostname:
        raise RefusedAddress("The address has no host name")
    if parts.username or parts.password:
        raise RefusedAddress("Addresses with a user name or password are not fetched")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise RefusedAddress("The address has a bad port") from None
    try:
        literal = [str(ipaddress.ip_address(parts.hostname.split("%", 1)[0]))]
    except ValueError:
        literal = []
    for address in literal or (resolver(parts.hostname, port) if resolver else []):
        if not permitted(address, allowed):
            raise refuse_inside(parts.hostname, address)
    return url.strip()
