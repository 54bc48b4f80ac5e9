"""Fetching a page an admin links to: only http(s), only public addresses (or hosts the
operator allows), no credentials, a timeout, a size cap, redirects followed one by one and
each checked again, and only text content types. Every refusal says why in a few words.

Each hop's host is resolved and every address it resolves to must be allowed before the
request is made (a name that resolves to a private address is refused like the address),
and the address the connection actually reached is checked again before a byte of the body
is read: a DNS answer that changes in between (rebinding) is refused too. IPv6 addresses
that carry an IPv4 one (mapped, 6to4, Teredo, NAT64) are judged by the IPv4 address.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

MAX_BYTES = 5_000_000
MAX_REDIRECTS = 5
TIMEOUT_S = 10.0
TEXT_TYPES = ("text/html", "text/plain", "text/markdown", "application/xhtml+xml")
USER_AGENT = "rumorbot/1.0 (+corpus curation; one page at an admin's request)"


class FetchRefused(Exception):
    """The page was not fetched or not kept; the message is the reason, for the admin."""


@dataclass(frozen=True)
class Fetched:
    url: str  # the final URL, after redirects
    content_type: str  # "text/html" …, without parameters
    body: bytes
    charset: str | None  # as the response header declares it (a page may declare its own)


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")


def is_public(address: str) -> bool:
    """A global unicast address, and so is any IPv4 address an IPv6 one carries."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        carried = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        if any(ip in net for net in _NAT64) or int(ip) >> 32 == 0:  # NAT64, IPv4-compatible
            carried.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip in _SITE_LOCAL or any(v4 is not None and not v4.is_global for v4 in carried):
            return False
    return ip.is_global


def _allowed(host: str, addresses: Iterable[str], allow_hosts: frozenset[str]) -> bool:
    if host.lower() in allow_hosts:
        return True
    return all(address in allow_hosts or is_public(address) for address in addresses)


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchRefused(f"unreachable: the name {host} does not resolve") from exc
    return sorted({str(info[4][0]) for info in infos})


def check_url(url: str, allow_hosts: frozenset[str]) -> None:
    """Refuse what may not be fetched: other schemes, credentials in the URL, and hosts that
    are (or resolve to) private, loopback, link-local or otherwise non-public addresses."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:  # a port out of range, a malformed IPv6 literal
        raise FetchRefused("not a valid link") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise FetchRefused("not a web link (http or https)")
    if parts.username or parts.password:
        raise FetchRefused("links with a user name or password are not fetched")
    port = port or (443 if parts.scheme == "https" else 80)
    if not _allowed(host, _resolve(host, port), allow_hosts):
        raise FetchRefused(
            f"{host} is a private, loopback or link-local address; an operator can allow it"
            " in RUMORBOT_FETCH_ALLOW_HOSTS"
        )


def fetch(
    url: str,
    allow_hosts: frozenset[str] = frozenset(),
    max_bytes: int = MAX_BYTES,
    timeout_s: float = TIMEOUT_S,
) -> Fetched:
    """The page at `url` as text, or FetchRefused with the reason. `timeout_s` bounds the
    whole fetch, redirects and a body trickling in included."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout_s
    with httpx.Client(
        follow_redirects=False,
        timeout=timeout_s,
        trust_env=False,  # no proxy credentials or .netrc from the environment
        headers={"User-Agent": USER_AGENT, "Accept": ", ".join(TEXT_TYPES)},
    ) as client:
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, allow_hosts)
            if url in seen:
                raise FetchRefused("the link redirects in a loop")
            seen.add(url)
            try:
                with client.stream("GET", url) as response:
                    _check_peer(url, response, allow_hosts)
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    return _read(url, response, max_bytes, deadline)
            except httpx.TimeoutException as exc:
                raise FetchRefused(f"unreachable: no answer within {timeout_s:.0f} s") from exc
            except httpx.HTTPError as exc:
                raise FetchRefused(f"unreachable: {type(exc).__name__}") from exc
    raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")


def _check_peer(url: str, response: httpx.Response, allow_hosts: frozenset[str]) -> None:
    """The address the connection reached must be allowed too: the name may have been
    resolved again, to another address, since `check_url`."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    host = urlsplit(url).hostname or ""
    if peer and not _allowed(host, [str(peer[0])], allow_hosts):
        raise FetchRefused(f"{host} now resolves to a private, loopback or link-local address")


def _read(url: str, response: httpx.Response, max_bytes: int, deadline: float) -> Fetched:
    if response.status_code >= 400:
        raise FetchRefused(f"HTTP error {response.status_code}")
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in TEXT_TYPES:
        raise FetchRefused(f"not a web page or text ({content_type or 'no content type'})")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused(f"too large ({int(declared):,} bytes; the cap is {max_bytes:,})")
    return Fetched(
        url, content_type, read_capped(response, max_bytes, deadline), response.charset_encoding
    )


def read_capped(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    """A streamed body, refused once it passes `max_bytes` or `deadline` (a monotonic time)."""
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise FetchRefused(f"too large (over the {max_bytes:,}-byte cap)")
        if time.monotonic() > deadline:
            raise FetchRefused("unreachable: the page came too slowly")
    return bytes(body)
