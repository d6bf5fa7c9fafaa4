"""The drift batch kept running on the Celery worker for as long as a load level lasts.

A batch of the drift benchmark's firm (100,000 accounts by default) finishes in seconds, so
one batch per level would leave most of the level without it: the loop starts a run
(``drift_firm`` through the broker: the worker creates the run and fans out its chunks),
waits for it to end, and starts the next, until the level is over; the run still going then
is waited for (up to ``timeout_s``), since "the batch still finishes" is part of the target.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from django.db import connection

from advisory.models import Firm
from advisory.tenancy import firm_scope
from portfolios.bench import BenchError
from portfolios.models import ACTIVE_RUN_STATES, DriftRun

POLL_S = 0.5


class DriftLoop:
    def __init__(self, firm: Firm, as_of: dt.date, timeout_s: float) -> None:
        self.firm, self.as_of, self.timeout_s = firm, as_of, timeout_s
        self.runs: list[int] = []
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="drift-loop", daemon=True)

    def __enter__(self) -> DriftLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(self.timeout_s + 90)

    def _loop(self) -> None:
        try:
            with firm_scope(self.firm):
                while not self._stop.is_set():
                    self.runs.append(self._start())
                    self._wait(self.runs[-1], stop_early=True)
                if self.runs:
                    self._wait(self.runs[-1], stop_early=False, timeout_s=self.timeout_s)
        except BaseException as exc:  # reported by figures(), not lost with the thread
            self.error = exc
        finally:
            connection.close()  # this thread's own connection

    def _start(self) -> int:
        """The run still going (left by a previous level), else a new one from the worker."""
        from portfolios.tasks import drift_firm  # on use: the task module wants the app set up

        runs = self._runs()
        active = runs.filter(state__in=ACTIVE_RUN_STATES).values_list("pk", flat=True).first()
        if active is not None:
            return active
        before = runs.values_list("pk", flat=True).first() or 0
        drift_firm.delay(self.firm.pk, self.as_of.isoformat())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            new = self._runs().filter(pk__gt=before).values_list("pk", flat=True).first()
            if new is not None:
                return new
            time.sleep(0.2)
        raise BenchError("the worker did not start a drift run within 60 s (is the broker up?)")

    def _wait(self, run_id: int, *, stop_early: bool, timeout_s: float = 3600.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not (stop_early and self._stop.is_set()):
            if not self._runs().filter(pk=run_id, state__in=ACTIVE_RUN_STATES).exists():
                return
            time.sleep(POLL_S)

    def _runs(self) -> Any:  # inside the firm's scope (the loop's thread enters it)
        return DriftRun.objects.filter(as_of=self.as_of).order_by("-pk")

    def figures(self) -> dict[str, Any]:
        """The level's runs: how many completed, their durations, how the last one ended."""
        if self.error is not None:
            raise BenchError(f"the drift loop failed: {self.error!r}")
        with firm_scope(self.firm):
            runs = list(DriftRun.objects.filter(pk__in=self.runs).order_by("pk"))
        done = [r for r in runs if r.finished_at and r.started_at]
        return {
            "drift_runs": len(runs),
            "drift_runs_complete": sum(1 for r in runs if r.state == "complete"),
            "drift_s_all": [round((r.finished_at - r.started_at).total_seconds(), 1) for r in done],
            "drift_last_state": runs[-1].state if runs else None,
        }
