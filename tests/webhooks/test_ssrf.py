"""The SSRF guard: hostile URLs are refused for the right reason, good ones pass with their
checked addresses, and the host is resolved exactly once."""

from __future__ import annotations

import ipaddress
import re
import socket

import pytest

from webhooks.ssrf import (
    SsrfPolicy,
    UrlRefused,
    address_refusal,
    embedded_ipv4,
    policy_from_env,
    url_check,
)

HTTPS_ONLY = SsrfPolicy()


def answer(*addresses: str, scope: int = 0) -> list[tuple]:
    """getaddrinfo-shaped answers for the given addresses."""
    rows = []
    for text in addresses:
        if ":" in text:
            rows.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (text, 443, 0, scope)))
        else:
            rows.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (text, 443)))
    return rows


class FakeDns:
    """An injectable resolver answering from a table, counting its calls."""

    def __init__(self, table: dict[str, list[tuple]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def __call__(self, host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        self.calls.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


DNS = {
    "hooks.example.com": answer("93.184.216.34"),
    "dual.example.com": answer("93.184.216.34", "2606:2800:220:1::248"),
    "loopback.example.test": answer("127.0.0.1"),
    "127.0.0.1.nip.io": answer("127.0.0.1"),
    "private.example.test": answer("10.1.2.3"),
    "mixed.example.test": answer("93.184.216.34", "192.168.0.1"),
    "metadata.google.internal": answer("169.254.169.254"),
    "v6loop.example.test": answer("::1"),
    "mapped.example.test": answer("::ffff:127.0.0.1"),
    "scoped.example.test": answer("fe80::1", scope=2),
    "nat64meta.example.test": answer("64:ff9b::a9fe:a9fe"),
    "cgnat.example.test": answer("100.64.12.1"),
    "localhost": answer("127.0.0.1"),
    "xn--bcher-kva.example": answer("93.184.216.34"),
}

# (url, a fragment of the refusal reason)
HOSTILE = [
    ("https://127.0.0.1/", "loopback"),
    ("https://127.255.255.254:8443/", "loopback"),
    ("https://10.0.0.1/", "private"),
    ("https://172.16.0.1/", "private"),
    ("https://172.31.255.255/", "private"),
    ("https://192.168.1.1/", "private"),
    ("https://100.64.0.1/", "shared"),
    ("https://169.254.169.254/latest/meta-data/", "metadata"),
    ("https://169.254.170.2/v2/credentials", "metadata"),
    ("https://168.63.129.16/", "metadata"),
    ("https://100.100.100.200/", "metadata"),
    ("https://169.254.1.1/", "link-local"),
    ("https://0.0.0.0/", "unspecified"),
    ("https://224.0.0.1/", "multicast"),
    ("https://239.255.255.250/", "multicast"),
    ("https://240.0.0.1/", "reserved"),
    ("https://255.255.255.255/", "broadcast"),
    ("https://198.18.0.1/", "benchmarking"),
    ("https://192.0.2.1/", "documentation"),
    ("https://198.51.100.7/", "documentation"),
    ("https://203.0.113.9/", "documentation"),
    ("https://192.0.0.8/", "IETF"),
    ("https://192.88.99.1/", "6to4"),
    ("https://0x7f000001/", "four decimal numbers"),
    ("https://2130706433/", "four decimal numbers"),
    ("https://017700000001/", "four decimal numbers"),
    ("https://127.1/", "four decimal numbers"),
    ("https://0177.0.0.1/", "four decimal numbers"),
    ("https://0x7f.0.0.1/", "four decimal numbers"),
    ("https://127.000.000.001/", "four decimal numbers"),
    ("https://0x/", "four decimal numbers"),
    ("https://\u2460\u2461\u2466.0.0.1/", "loopback"),  # circled digits → 127.0.0.1
    ("https://[::1]/", "loopback"),
    ("https://[::]/", "unspecified"),
    ("https://[::ffff:127.0.0.1]/", "embeds 127.0.0.1 (IPv4-mapped), a loopback"),
    ("https://[0:0:0:0:0:ffff:7f00:1]/", "embeds 127.0.0.1 (IPv4-mapped)"),
    ("https://[::ffff:169.254.169.254]/", "metadata"),
    ("https://[::ffff:10.0.0.1]:8443/", "private"),
    ("https://[::127.0.0.1]/", "IPv4-compatible"),
    ("https://[::ffff:0:7f00:1]/", "IPv4-translated"),
    ("https://[64:ff9b::7f00:1]/", "embeds 127.0.0.1 (NAT64)"),
    ("https://[64:ff9b::a9fe:a9fe]/", "metadata"),
    ("https://[64:ff9b::c0a8:101]/", "private"),
    ("https://[64:ff9b:1:a00:0:100::]/", "embeds 10.0.0.1 (local-use NAT64)"),
    ("https://[64:ff9b:1:808:8:800::]/", "local-use NAT64"),  # wraps 8.8.8.8, still local
    ("https://[2002:7f00:1::]/", "embeds 127.0.0.1 (6to4)"),
    ("https://[2002:a9fe:a9fe::1]/", "metadata"),
    ("https://[2002:c0a8:101::1]/", "private"),
    ("https://[2002:808:808::1]/", "a 6to4 address"),
    ("https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "127.0.0.1 (Teredo client)"),
    ("https://[2001:0:a00:1:8000:63bf:3fff:fdd2]/", "10.0.0.1 (Teredo server)"),
    ("https://[fe80::1]/", "link-local"),
    ("https://[fe80::1%25eth0]/", "zone"),
    ("https://[fc00::1]/", "unique-local"),
    ("https://[fd12:3456::1]/", "unique-local"),
    ("https://[fec0::1]/", "site-local"),
    ("https://[ff02::1]/", "multicast"),
    ("https://[ff0e::1]/", "multicast"),
    ("https://[fd00:ec2::254]/", "metadata"),
    ("https://[fd20:ce::254]/", "metadata"),
    ("https://[2001:db8::1]/", "documentation"),
    ("https://[3fff::1]/", "documentation"),
    ("https://[2001:2::1]/", "benchmarking"),
    ("https://[100::1]/", "discard"),
    ("https://[4000::1]/", "not a public address"),
    ("https://[127.0.0.1]/", "malformed"),
    ("https://loopback.example.test/hook", "resolves to 127.0.0.1, a loopback"),
    ("https://127.0.0.1.nip.io/", "loopback"),
    ("https://private.example.test/", "private"),
    ("https://mixed.example.test/", "192.168.0.1, a private"),
    ("https://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("https://v6loop.example.test/", "::1, a loopback"),
    ("https://mapped.example.test/", "IPv4-mapped"),
    ("https://scoped.example.test/", "scoped"),
    ("https://nat64meta.example.test/", "metadata"),
    ("https://cgnat.example.test/", "shared"),
    ("https://localhost/", "loopback"),
    ("https://LOCALHOST./", "loopback"),
    ("https://unknown.example.test/", "does not resolve"),
    ("http://hooks.example.com/", "must use https"),
    ("ftp://hooks.example.com/", "must use https"),
    ("file:///etc/passwd", "must use https"),
    ("gopher://127.0.0.1:25/", "must use https"),
    ("//hooks.example.com/", "must use https"),
    ("https://user:pass@hooks.example.com/", "credentials"),
    ("https://user@hooks.example.com/", "credentials"),
    ("https://hooks.example.com@127.0.0.1/", "credentials"),
    ("https:///path", "must name a host"),
    ("https://:443/", "must name a host"),
    ("https://hooks.exa mple.com/", "spaces"),
    ("https://hooks.example.com\\@127.0.0.1/", "backslashes"),
    ("https://hooks.example.com/\r\nX-Injected: 1", "control characters"),
    ("https://hooks.example.com/#frag", "fragment"),
    ("https://hooks.example.com:0/", "port"),
    ("https://hooks.example.com:65536/", "malformed"),
    ("https://hooks.example.com:http/", "malformed"),
    ("https://hooks..example.com/", "empty label"),
    ("https://hooks.exa%6dple.com/", "invalid characters"),
    ("https://" + "a" * 64 + ".example.com/", "longer than 63"),
    ("https://" + "a." * 127 + "com/", "longer than 253"),
    ("https://hooks.example.com/" + "a" * 2100, "longer than 2048"),
    ("", "required"),
]


@pytest.mark.parametrize(("url", "reason"), HOSTILE, ids=[u[:60] for u, _ in HOSTILE])
def test_hostile_url_is_refused_for_the_right_reason(url, reason):
    with pytest.raises(UrlRefused) as refused:
        url_check(url, policy=HTTPS_ONLY, resolver=FakeDns(DNS))
    assert reason in refused.value.reason
    assert str(refused.value) == refused.value.reason


def test_there_are_at_least_forty_hostile_urls():
    assert len(HOSTILE) >= 40


@pytest.mark.parametrize(
    "url",
    ["https://0x7f000001/", "https://2130706433/", "https://017700000001/", "https://127.1/"],
)
def test_numeric_host_forms_never_reach_the_resolver(url):
    """Even a resolver that would answer with a public address is not asked."""
    dns = FakeDns({})
    dns.table = {url.split("/")[2]: answer("93.184.216.34")}
    with pytest.raises(UrlRefused):
        url_check(url, policy=HTTPS_ONLY, resolver=dns)
    assert dns.calls == []


@pytest.mark.parametrize(
    "url", ["https://localhost/", "https://0x7f000001/", "https://127.1/", "https://[::1]/"]
)
def test_refused_with_the_real_resolver_too(url):
    with pytest.raises(UrlRefused):
        url_check(url, policy=HTTPS_ONLY)


def test_a_public_url_passes_with_its_checked_address_and_one_lookup():
    dns = FakeDns(DNS)
    checked = url_check("https://Hooks.Example.com/in/?a=1&b=%2F", policy=HTTPS_ONLY, resolver=dns)
    assert dns.calls == ["hooks.example.com"]
    assert checked.scheme == "https"
    assert checked.host == "hooks.example.com"
    assert checked.port == 443
    assert checked.target == "/in/?a=1&b=%2F"
    assert checked.addresses == ("93.184.216.34",)
    assert checked.host_header == "hooks.example.com"
    assert not checked.host_is_ip


def test_every_resolved_address_is_returned_in_order():
    checked = url_check("https://dual.example.com:8443", policy=HTTPS_ONLY, resolver=FakeDns(DNS))
    assert checked.addresses == ("93.184.216.34", "2606:2800:220:1::248")
    assert checked.host_header == "dual.example.com:8443"
    assert checked.target == "/"


@pytest.mark.parametrize(
    ("url", "address", "host_header"),
    [
        ("https://8.8.8.8/", "8.8.8.8", "8.8.8.8"),
        ("https://[2606:4700::1111]:8443/", "2606:4700::1111", "[2606:4700::1111]:8443"),
        ("https://[64:ff9b::808:808]/", "64:ff9b::808:808", "[64:ff9b::808:808]"),
        ("https://[::ffff:8.8.8.8]/", "::ffff:808:808", "[::ffff:808:808]"),
    ],
)
def test_public_ip_literals_pass_without_a_lookup(url, address, host_header):
    dns = FakeDns({})
    checked = url_check(url, policy=HTTPS_ONLY, resolver=dns)
    assert checked.addresses == (address,)
    assert checked.host_header == host_header
    assert checked.host_is_ip
    assert dns.calls == []


def test_an_internationalised_name_is_looked_up_in_its_ascii_form():
    dns = FakeDns(DNS)
    checked = url_check("https://bücher.example/", policy=HTTPS_ONLY, resolver=dns)
    assert dns.calls == ["xn--bcher-kva.example"]
    assert checked.host == "xn--bcher-kva.example"


def test_http_and_loopback_pass_only_when_both_are_allowed():
    local = SsrfPolicy.from_values(allow_http=True, allowed_networks=["127.0.0.0/8"])
    checked = url_check("http://127.0.0.1:8080/hook", policy=local)
    assert (checked.scheme, checked.port, checked.addresses) == ("http", 8080, ("127.0.0.1",))
    assert checked.host_header == "127.0.0.1:8080"
    with pytest.raises(UrlRefused, match="loopback"):
        url_check("http://127.0.0.1:8080/hook", policy=SsrfPolicy(allow_http=True))
    with pytest.raises(UrlRefused, match="https"):
        url_check(
            "http://127.0.0.1:8080/",
            policy=SsrfPolicy.from_values(allow_http=False, allowed_networks=["127.0.0.0/8"]),
        )


def test_the_allow_list_covers_wrapped_forms_through_their_ipv4_address():
    local = SsrfPolicy.from_values(allow_http=False, allowed_networks=["10.0.0.0/8"])
    assert url_check("https://[::ffff:10.1.2.3]/", policy=local).addresses == ("::ffff:a01:203",)
    with pytest.raises(UrlRefused, match="6to4"):  # the 6to4 form itself is not allowed
        url_check("https://[2002:a01:203::1]/", policy=local)


def test_metadata_addresses_stay_refused_inside_allowed_networks():
    wide = SsrfPolicy.from_values(
        allow_http=True, allowed_networks=["169.254.0.0/16", "fd00::/8", "0.0.0.0/0"]
    )
    for url in ("https://169.254.169.254/", "https://[fd00:ec2::254]/", "https://168.63.129.16/"):
        with pytest.raises(UrlRefused, match="metadata"):
            url_check(url, policy=wide)
    assert url_check("https://169.254.1.1/", policy=wide).addresses == ("169.254.1.1",)


def test_a_resolver_answer_that_is_not_an_address_is_refused():
    odd = FakeDns({"odd.example.com": [(socket.AF_INET, 1, 6, "", ("not-an-ip", 443))]})
    with pytest.raises(UrlRefused, match="not an IP address"):
        url_check("https://odd.example.com/", policy=HTTPS_ONLY, resolver=odd)
    empty = FakeDns({"empty.example.com": []})
    with pytest.raises(UrlRefused, match="does not resolve"):
        url_check("https://empty.example.com/", policy=HTTPS_ONLY, resolver=empty)


def test_embedded_ipv4_unwraps_every_wrapping():
    def unwrap(text):
        return [(kind, str(v4)) for kind, v4 in embedded_ipv4(ipaddress.IPv6Address(text))]

    assert unwrap("::ffff:1.2.3.4") == [("IPv4-mapped", "1.2.3.4")]
    assert unwrap("64:ff9b::102:304") == [("NAT64", "1.2.3.4")]
    assert unwrap("64:ff9b:1:102:3:400::") == [("local-use NAT64", "1.2.3.4")]
    assert unwrap("2002:102:304::") == [("6to4", "1.2.3.4")]
    assert unwrap("2001:0:102:304:0:0:fefd:fcfb") == [
        ("Teredo server", "1.2.3.4"),
        ("Teredo client", "1.2.3.4"),
    ]
    assert unwrap("::1.2.3.4") == [("IPv4-compatible", "1.2.3.4")]
    assert unwrap("::ffff:0:102:304") == [("IPv4-translated", "1.2.3.4")]
    assert unwrap("2606:4700::1111") == []
    assert unwrap("::1") == []


def test_address_refusal_passes_public_addresses():
    for text in ("8.8.8.8", "1.1.1.1", "2606:4700::1111", "64:ff9b::808:808"):
        assert address_refusal(ipaddress.ip_address(text)) is None


def test_policy_from_env_reads_both_variables():
    policy = policy_from_env(
        {
            "J1MSKY_WEBHOOK_ALLOW_HTTP": "True",
            "J1MSKY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8, 10.1.2.3 fd00::/8",
        }
    )
    assert policy.allow_http
    assert [str(n) for n in policy.allowed_networks] == ["127.0.0.0/8", "10.1.2.3/32", "fd00::/8"]
    assert policy_from_env({}) == SsrfPolicy(allow_http=False, allowed_networks=())
    assert not policy_from_env({"J1MSKY_WEBHOOK_ALLOW_HTTP": "false"}).allow_http
    with pytest.raises(ValueError, match=re.escape("not a network: '10.0.0.0/33'")):
        policy_from_env({"J1MSKY_WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/33"})
