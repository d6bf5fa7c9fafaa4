"""One HTTP POST to a receiver: http/https only, a short timeout, no redirects, no proxies,
and (unless ``BALLAST_WEBHOOKS_ALLOW_PRIVATE``) never to a private, loopback, link-local or
otherwise non-public address.

The SSRF guard resolves the host once and connects to the address it checked (TLS still
verifies the certificate against the host name), so a DNS answer that changes between the
check and the connection (rebinding) cannot reach an internal service.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

SCHEMES = ("http", "https")
MAX_ERROR = 500


class Refused(ValueError):
    """An endpoint Ballast will not send to; the message says why."""


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the HTTP status, None when no response came
    error: str  # empty on a 2xx

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP address the connection goes to


def check_url(url: str) -> None:
    """Refuse a URL Ballast would never send to (scheme, credentials, missing host)."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise Refused("Only http:// and https:// addresses can receive webhooks.")
    if not parts.hostname:
        raise Refused("The address has no host name.")
    if parts.username or parts.password:
        raise Refused("Put no user name or password in the address: requests are signed.")
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise Refused("The address has an invalid port.") from None


def resolve(url: str, *, allow_private: bool | None = None) -> Target:
    """Where ``url`` goes: refused when any address it resolves to is not public (unless
    allowed), since a receiver must never be one of our own services."""
    check_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    allow = settings.BALLAST_WEBHOOKS_ALLOW_PRIVATE if allow_private is None else allow_private
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"The host {host!r} could not be resolved ({exc}).") from None
    addresses = [str(info[4][0]) for info in infos]
    if not allow:
        for address in addresses:
            if not is_public(address):
                raise Refused(
                    f"{host} resolves to {address}, a private or reserved address; "
                    "webhooks go to public addresses only."
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, addresses[0])


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    return ip.is_global and not ip.is_multicast


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    """POST ``body``; the outcome, never an exception for a network or HTTP failure."""
    try:
        target = resolve(url)
    except Refused as exc:
        return Outcome(None, str(exc)[:MAX_ERROR])
    conn = _connection(target, timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(1024)  # a receiver's answer is not ours to store; a little, then close
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
    finally:
        conn.close()
    if 200 <= status < 300:
        return Outcome(status, "")
    if 300 <= status < 400:
        return Outcome(status, f"HTTP {status}: redirects are not followed")
    return Outcome(status, f"HTTP {status}")


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address; the Host header keeps the host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """As :class:`_PinnedHTTP`, with TLS verified against the host name (SNI too)."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address
        self._tls = ssl.create_default_context()

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def _connection(target: Target, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPS(target, timeout)
    return _PinnedHTTP(target, timeout)
