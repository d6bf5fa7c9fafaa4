"""Who may read /metrics: request counts by view, query and task timings and queue lengths
are no firm's data, but they map the service for an attacker, so the page is not public.

- ``BALLAST_METRICS_TOKEN`` set: a scraper sends ``Authorization: Bearer <token>``;
- ``BALLAST_METRICS_ALLOWED_IPS`` (addresses or networks): these may scrape without one;
- neither set: the loopback only (a scraper on the same host).

The client address is the one advisory's middleware trusts (``BALLAST_TRUSTED_PROXY_COUNT``).
"""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest

from advisory.middleware import client_ip

LOOPBACK = ("127.0.0.0/8", "::1/128")


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    listed = list(settings.BALLAST_METRICS_ALLOWED_IPS)
    if not listed and not settings.BALLAST_METRICS_TOKEN:
        listed = list(LOOPBACK)
    return [ipaddress.ip_network(entry, strict=False) for entry in listed]


def token_matches(request: HttpRequest) -> bool:
    token = settings.BALLAST_METRICS_TOKEN
    if not token:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def allowed(request: HttpRequest) -> bool:
    if token_matches(request):
        return True
    ip = client_ip(request)
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in allowed_networks())
