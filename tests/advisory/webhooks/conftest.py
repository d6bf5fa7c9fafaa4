"""A real HTTP receiver on the loopback for the webhook tests: it records each request and
answers with the next status of its script (then 200), as a firm's endpoint would."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from advisory.webhooks import endpoints, events
from tests import factories


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200

    def answer(self, *statuses: int) -> None:
        self.statuses[:] = statuses


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/ballast"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def hooked(world_a, receiver):
    """world_a's admin registered the receiver for every event; returns (endpoint, secret)."""
    return endpoints.register(
        firm=world_a.firm,
        url=receiver.url,
        events_wanted=list(events.EVENTS),
        description="CRM",
        actor=world_a.admin.user,
    )


@pytest.fixture
def desk(world_a, classes):
    return factories.make_desk(world_a, classes)
