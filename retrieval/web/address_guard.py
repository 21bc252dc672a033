"""Which URLs the bot may fetch: http and https only, and never an address inside the operator's network
(private, loopback, link-local including cloud metadata, multicast, reserved) unless the operator allows it.
Checked after name resolution, and again on every redirect, so a public name cannot point inside.

Hand-written with the standard library's `ipaddress`: the rule is small and the product's own policy.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from ..errors import RetrievalError

SCHEMES = ("http", "https")
Resolver = Callable[[str, int], list[str]]


class RefusedAddress(RetrievalError):
    """A URL the bot will not fetch (its scheme, or where its name points)."""


def resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to (all are checked: any one could be the one connected to)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedAddress(f"Cannot resolve {host}: {exc}") from None
    return sorted({info[4][0] for info in infos})


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def check_url(url: str, *, allow_private: bool = False, resolver: Resolver = resolve) -> str:
    """The URL if it may be fetched; RefusedAddress (one line) otherwise."""
    parts = urlsplit(url.strip())
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
    if not allow_private:
        for address in resolver(parts.hostname, port):
            if not is_public(address):
                raise RefusedAddress(f"{parts.hostname} points inside a private network ({address}); "
                                     "the operator may allow that")
    return url.strip()
