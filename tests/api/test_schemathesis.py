"""Schemathesis against the live schema over real HTTP: every /api/v1/ operation, a bounded
number of generated requests each, as a firm admin with a read-write token and again with a
read-only one. No response may be a server error, and every response must be one the schema
documents (status code, content type, body, headers).

The schema is fetched from the running server (pytest-django's ``live_server``, PostgreSQL as
the application role), so what is tested is what clients download. Operations with an id are
tried twice: with generated ids (mostly not found), and with the ids of the firm's own rows
so request bodies reach real objects. Hypothesis is derandomized (the same requests every run)
and does not shrink, which keeps the whole run to a couple of minutes on two cores.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from advisory.api import throttles
from advisory.models import TokenScope
from tests.api.harness import Operation, api_objects, make_token, path_values

pytestmark = pytest.mark.django_db(transaction=True)

MAX_EXAMPLES = 10
NEGATIVE_EXAMPLES = 5
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
# Invalid input: any documented error will do, as long as it is one (JSON, never a 500).
NEGATIVE_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
]


@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch):
    # The run sends hundreds of requests a minute with one token: a 429 is documented, but
    # would leave most operations untested.
    for throttle in (throttles.TokenRateThrottle, throttles.UserRateThrottle):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", {throttle.scope: "100000/minute"})


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Generated input never reaches beyond this machine (a fuzzed webhook URL, say): every
    name but the loopback's fails to resolve, in the test and in the live server's thread."""
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in ("localhost", "None"):
            try:
                loopback = ipaddress.ip_address(name).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                raise socket.gaierror(socket.EAI_NONAME, f"{name}: loopback only in this test")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


def fuzz(
    operation, *, base_url: str, headers: dict, fixed: dict | None, negative: bool = False
) -> str | None:
    """Run ``operation``'s cases; the first failure's description, or None. ``negative``:
    requests the schema says are invalid, which must get a documented 4xx, never a 500."""
    if negative:
        strategies = [operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed)]
    else:
        strategies = [operation.as_strategy(path_parameters=fixed)]
        strategies += operation.get_strategies_from_examples() if not fixed else []
    session = requests.Session()

    @settings(
        max_examples=NEGATIVE_EXAMPLES if negative else MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(*strategies))
    def check(case) -> None:
        case.call_and_validate(
            base_url=base_url,
            session=session,
            headers=headers,
            checks=NEGATIVE_CHECKS if negative else CHECKS,
            timeout=30,
        )

    try:
        check()
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup is the latter
        what = " (real ids)" if fixed else ""
        what += " (invalid input)" if negative else ""
        return f"{operation.label}{what}:\n{exc}"
    finally:
        session.close()
    return None


@pytest.mark.parametrize("scope", [TokenScope.WRITE, TokenScope.READ])
def test_live_api_conforms_to_its_schema(scope, live_server, world_a, world_b):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    headers = {"Authorization": f"Bearer {make_token(world_a.admin, scope)}"}
    objects = api_objects(world_a)
    failures: list[str] = []
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        op = Operation(operation.method.lower(), operation.path, {})
        fixed_ids = path_values(op, objects) if op.params else None
        runs = [(None, False)] + ([(fixed_ids, False)] if fixed_ids else [])
        if scope == TokenScope.WRITE:  # a read-only token is refused before any validation
            runs.append((fixed_ids, True))
        for fixed, negative in runs:
            tried += 1
            failure = fuzz(
                operation, base_url=live_server.url, headers=headers, fixed=fixed, negative=negative
            )
            if failure:
                failures.append(failure)
    assert tried >= 5, "no API operations in the live schema"
    assert not failures, f"{len(failures)} failing operations:\n\n" + "\n\n".join(failures)
