"""Web sources only reach public http(s) addresses, checked after resolution (issue 13, item 4)."""

from __future__ import annotations

import pytest

from retrieval.errors import BadSetting
from retrieval.web.address_guard import RefusedAddress, check_url, is_public, parse_networks, permitted


def fixed(*addresses: str):
    return lambda host, port: list(addresses)


def test_private_loopback_link_local_and_metadata_addresses_are_refused() -> None:
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.10", "172.16.5.5", "169.254.169.254", "::1",
                    "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "0.0.0.0", "224.0.0.1", "100.64.0.1"):
        assert not is_public(address), address
        with pytest.raises(RefusedAddress) as refused:
            check_url("https://docs.example.org/guide", resolver=fixed(address))
        assert "private network" in str(refused.value) and "\n" not in str(refused.value)
    assert is_public("93.184.215.14") and is_public("2606:2800:21f:cb07:6820:80da:af6b:8b2c")


def test_a_name_with_one_inside_address_among_public_ones_is_refused() -> None:
    with pytest.raises(RefusedAddress):
        check_url("http://mixed.example.org/", resolver=fixed("93.184.215.14", "10.0.0.7"))
    assert check_url(" http://docs.example.org/a ", resolver=fixed("93.184.215.14")) == "http://docs.example.org/a"


def test_only_http_and_https_without_credentials_and_the_operator_may_allow_inside() -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/x", "gopher://x", "javascript:alert(1)",
                "http://user:pw@example.org/", "http:///nohost", "http://example.org:99999/"):
        with pytest.raises(RefusedAddress):
            check_url(url, resolver=fixed("93.184.215.14"))
    with pytest.raises(RefusedAddress):
        check_url("http://localhost:8080/wiki")  # really resolved: loopback


def test_the_operator_allows_networks_not_everything_inside() -> None:
    allowed = parse_networks("10.0.0.0/8, 127.0.0.1")
    assert check_url("http://127.0.0.1:8080/wiki", allowed=allowed) == "http://127.0.0.1:8080/wiki"
    assert check_url("http://wiki.corp/", allowed=allowed, resolver=fixed("10.4.4.4")) == "http://wiki.corp/"
    for url in ("http://169.254.169.254/latest/meta-data/", "http://192.168.1.1/", "http://[::1]/"):
        with pytest.raises(RefusedAddress):  # a literal address is checked without resolving
            check_url(url, allowed=allowed, resolver=None)
    assert permitted("::ffff:10.1.1.1", allowed) and not permitted("127.0.0.2", allowed)
    with pytest.raises(BadSetting):
        parse_networks("10.0.0.0/8, intranet")


def test_ipv6_forms_carrying_an_inside_ipv4_address_and_bad_addresses_are_refused() -> None:
    for address in ("2002:7f00:1::", "2002:a9fe:a9fe::1", "::ffff:169.254.169.254"):
        assert not is_public(address), address
    assert is_public("2002:5db8:d70e::1")  # 6to4 of a public address
    for url in ("http://[::1", "http://[2002:7f00:1::]/", "http://2130706433/"):
        with pytest.raises(RefusedAddress):
            check_url(url)
