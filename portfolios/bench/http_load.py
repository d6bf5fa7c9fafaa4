"""Real HTTP for the concurrency benchmark: a gunicorn server and its clients.

Standard library only on the client side (``http.client``): cookies kept by hand, the
CSRF token read from the form as a browser submits it, a connection per request (or one
kept alive). The server is gunicorn with ``config.wsgi`` in its own process group on a
free loopback port, stopped (and, if it does not stop, killed) on the way out.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings

from portfolios.bench import BenchError

HOST = "127.0.0.1"
_CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_GONE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@dataclass(frozen=True)
class Response:
    status: int
    location: str
    body: bytes
    ms: float


class Session:
    """One browser: its cookies, and a connection per request or one kept alive.

    Without ``keep_alive`` every request opens its own connection, as a reverse proxy
    without upstream keep-alive does (nginx's default): each request goes to whichever
    worker accepts it. A kept-alive connection stays with the worker that accepted it.
    """

    def __init__(self, port: int, *, keep_alive: bool = False, timeout: float = 300.0) -> None:
        self.port = port
        self.keep_alive = keep_alive
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> Response:
        body = urlencode(fields).encode()
        return self.request("POST", path, body, "application/x-www-form-urlencoded")

    def post_file(self, path: str, fields: dict[str, str], name: str, data: bytes) -> Response:
        """A multipart form with one file field called ``file``, as the Imports page sends."""
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n".encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request(
            "POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}"
        )

    def csrf_token(self, path: str) -> str:
        match = _CSRF_RE.search(self.get(path).body.decode())
        if match is None:
            raise BenchError(f"no CSRF token on {path}")
        return match.group(1)

    def login(self, email: str, password: str) -> None:
        """Sign in through allauth's form, as a person would."""
        token = self.csrf_token("/auth/login/")
        fields = {"csrfmiddlewaretoken": token, "login": email, "password": password}
        response = self.post_form("/auth/login/", fields)
        if response.status != 302 or "/auth/" in response.location:
            raise BenchError(f"login of {email} answered {response.status} → {response.location}")

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> Response:
        headers = {"Host": f"{HOST}:{self.port}", "User-Agent": "ballast-bench"}
        if not self.keep_alive:
            headers["Connection"] = "close"
        if content_type:
            headers["Content-Type"] = content_type
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            started = time.perf_counter()
            try:
                self._conn.request(method, path, body=body, headers=headers)
                raw = self._conn.getresponse()
                data = raw.read()
            except _GONE:
                self.close()
                if reused and attempt == 0:
                    continue  # the server closed an idle keep-alive connection: reconnect
                raise
            except OSError:
                self.close()
                raise
            ms = (time.perf_counter() - started) * 1000
            for header in raw.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            if raw.will_close:
                self.close()
            return Response(raw.status, raw.headers.get("Location", ""), data, ms)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


@dataclass
class PageClient:
    """A signed-in user opening the household pages of their book in turn, with think time."""

    session: Session
    household_ids: tuple[int, ...]
    think_s: tuple[float, float]
    rng: random.Random
    position: int = 0
    samples: list[tuple[float, int]] = field(default_factory=list)  # (ms, status); -1: no answer

    def run(self, stop: threading.Event, deadline: float, max_requests: int) -> None:
        """Pages until ``stop``, the deadline or ``max_requests``; the first after a random
        part of one think time, so that the clients do not start in lockstep."""
        done = 0
        stop.wait(self.rng.uniform(0, self.think_s[1]))
        while not stop.is_set() and time.monotonic() < deadline and done < max_requests:
            household = self.household_ids[self.position % len(self.household_ids)]
            self.position += 1
            started = time.perf_counter()
            try:
                response = self.session.get(f"/households/{household}/")
                self.samples.append((response.ms, response.status))
            except (OSError, http.client.HTTPException):
                self.samples.append(((time.perf_counter() - started) * 1000, -1))
            done += 1
            stop.wait(self.rng.uniform(*self.think_s))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(
    database_url: str,
    *,
    workers: int,
    threads: int,
    log: Path,
    access_log: bool = False,
    ready_s: float = 60.0,
) -> Iterator[int]:
    """Serve ``config.wsgi`` on a free loopback port; yields the port, stops the server after.

    Its output goes to ``log``; with ``access_log`` every request is logged there too, with
    the server's own time for it in microseconds last (``%(D)s``).

    Settings: ``config.settings.base`` with ``DEBUG=False``, ``ALLOWED_HOSTS=127.0.0.1`` and a
    fresh random ``SECRET_KEY`` (production.py would also want HTTPS cookies and collected
    static files, neither of which a loopback benchmark has).
    """
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "False",
        "ALLOWED_HOSTS": HOST,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "LOG_LEVEL": "WARNING",
        # The audit chain's keys are this process's, so the chain the server appends to
        # verifies here (the dev key would otherwise follow the server's fresh SECRET_KEY).
        "BALLAST_AUDIT_KEYS": ",".join(f"{k}:{v}" for k, v in settings.BALLAST_AUDIT_KEYS.items()),
        "BALLAST_AUDIT_KEY_ID": settings.BALLAST_AUDIT_KEY_ID,
    }
    cmd = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
    cmd += ["--bind", f"{HOST}:{port}", "--worker-class", "gthread"]
    cmd += ["--workers", str(workers), "--threads", str(threads)]
    cmd += ["--timeout", "300", "--graceful-timeout", "5", "--keep-alive", "5"]
    cmd += ["--no-control-socket", "--chdir", str(settings.BASE_DIR)]
    if access_log:
        cmd += ["--access-logfile", "-", "--access-logformat", '%(t)s %(p)s "%(r)s" %(s)s %(D)s']
    with log.open("wb") as out:
        # Our own interpreter and arguments, no user input.
        server = subprocess.Popen(  # noqa: S603
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_ready(server, port, ready_s, log)
        yield port
    finally:
        _stop(server)


def _wait_ready(server: subprocess.Popen, port: int, ready_s: float, log: Path) -> None:
    deadline = time.monotonic() + ready_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited ({server.returncode}):\n{_tail(log)}")
        probe = Session(port, timeout=5)
        try:
            if probe.get("/auth/login/").status == 200:
                return
        except OSError:
            pass
        finally:
            probe.close()
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer within {ready_s:.0f} s:\n{_tail(log)}")


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM to the master (graceful); SIGKILL to its process group if it lingers."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        # Not reaped yet, so the group id is still the one we started: master and workers.
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
