"""A real Redis broker and real Celery worker processes for the integration tests.

Each test starts its own redis-server on a free port (so stopping it harms nothing else) and
prefork workers (concurrency 2) against the test database, in their own process group so a
SIGKILL takes all of a worker. ``TableLock`` freezes every writer of a table mid-transaction,
so "mid-run" is a state a test waits for, not a sleep it hopes lands right.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from django.db import connection

from tests.factories import free_port

ROOT = Path(__file__).resolve().parents[1]  # the repository
CHUNK = 4  # households per drift chunk in the workers' settings


def wait_for(check: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        self.port, self.workdir, self.proc = free_port(), workdir, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, "redis to start")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class Worker:
    """``celery worker`` in its own process group, so SIGKILL takes all of it."""

    def __init__(self, env: dict[str, str], log: Path, beat: bool = False) -> None:
        self.env, self.log, self.beat, self.proc = env, log, beat, None

    def start(self) -> None:
        args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO"]
        args += ["-c", "2", "-P", "prefork", "--without-gossip", "--without-mingle"]
        if self.beat:
            args += ["-B", "-s", str(self.log.with_suffix(".beat"))]
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=out, stderr=out, start_new_session=True
            )

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


class TableLock:
    """Freeze every writer of a table (mid-transaction) until released."""

    def __init__(self, table: str = "portfolios_driftsnapshot") -> None:
        self.table = table
        db = connection.settings_dict
        self.conn = psycopg.connect(
            host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]
        )

    def __enter__(self) -> TableLock:
        self.conn.execute("BEGIN")
        # Our own table names, never user input.
        self.conn.execute(f"LOCK TABLE {self.table} IN EXCLUSIVE MODE")
        return self

    def waiting(self) -> int:
        with psycopg.connect(**self._params()) as probe:
            return probe.execute(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass",
                [self.table],
            ).fetchone()[0]

    def _params(self) -> dict:
        db = connection.settings_dict
        return {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "dbname": db["NAME"]}

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()

    def __exit__(self, *exc: object) -> None:
        self.release()
