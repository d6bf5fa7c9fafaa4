"""The report benchmark behind ``manage.py bench_reports`` (one JSON line of these keys).

- ``report_s_median`` / ``report_s_p95`` / ``report_s_all``: one household's report through
  :func:`reports.archive.generate_report` (data gathered, rendered by WeasyPrint, stored,
  archived with its audit event) in this process, timed --renders times after one warm-up
  (the first render of a process also parses the stylesheet and loads the fonts).
  ``report_pages`` / ``report_bytes``: the last one's PDF, counted with pypdf.
- ``batch_reports`` / ``batch_s`` / ``reports_per_min``: a firm-wide report batch
  (:func:`reports.batches.start_batch` by the firm admin, then
  :func:`reports.tasks.dispatch_batch`: one Celery task per household) on a real Redis broker
  and one real ``celery worker -P prefork -c <workers>``, from the batch's start to its
  ``finished_at``. The worker is started and ready before the clock starts.
- ``report_worker_start_mb`` / ``report_worker_peak_mb`` / ``report_worker_end_mb``: the
  resident memory (``VmRSS``) of the worker's pool processes (the ones that render), sampled
  every 0.25 s, at the batch's start, at their peak and at its end (the largest process).
  ``report_worker_growth_mb``: the largest peak − start of one process;
  ``report_worker_growth_after_warm_mb``: the same from the moment a tenth of the batch is
  done (first-render caches loaded) to the end, which is what "flat" means over a long batch.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone
from pypdf import PdfReader

from advisory.models import Household
from advisory.tenancy import firm_scope
from config.celery import app, reset_producer_pool
from portfolios.bench import BenchError, p95
from reports import batches
from reports.archive import generate_report
from reports.bench.report_data import PERIOD_END, PERIOD_START, ReportFirm, ensure_report_firm
from reports.models import ArchivedReport, ReportBatch, ReportBatchScope, ReportBatchState
from reports.tasks import dispatch_batch

ROOT = Path(__file__).resolve().parents[2]  # the repository (the worker's working directory)
SAMPLE_S = 0.25
READY_TIMEOUT_S = 60
WARM_SHARE = 0.1  # "after warm": from a tenth of the batch done


def run(*, households: int, workers: int, renders: int, broker_url: str) -> dict[str, Any]:
    """The benchmark as ``bench_reports`` runs it (its options, same names)."""
    started = time.perf_counter()
    bench = ensure_report_firm(households)
    setup_s = time.perf_counter() - started
    # Stored PDFs go to a throwaway MEDIA_ROOT, here and in the worker, not under var/.
    with (
        tempfile.TemporaryDirectory(prefix="bench-reports-") as media,
        override_settings(MEDIA_ROOT=media),
    ):
        single = time_single(bench, renders)
        batch = time_batch(bench, workers=workers, broker_url=broker_url, media_root=media)
    return {
        **single,
        **batch,
        "households": bench.households,
        "workers": workers,
        "renders": renders,
        "period": f"{PERIOD_START}/{PERIOD_END}",
        "firm": bench.firm.slug,
        "setup_s": round(setup_s, 1),
    }


def time_single(bench: ReportFirm, renders: int) -> dict[str, Any]:
    """One household's report, ``renders`` times after a warm-up, in this process."""
    with firm_scope(bench.firm):
        household = Household.objects.order_by("pk").first()
    if household is None:
        raise BenchError("the bench firm has no household")
    times: list[float] = []
    report = None
    for n in range(renders + 1):
        begun = time.perf_counter()
        report = generate_report(
            household=household, period_start=PERIOD_START, period_end=PERIOD_END, actor=None
        )
        if n:  # the first one warms the process up
            times.append(time.perf_counter() - begun)
    if report is None:
        raise BenchError("--renders must be at least 1")
    with default_storage.open(report.file.name, "rb") as handle:
        pdf = handle.read()
    return {
        "report_s_median": round(statistics.median(times), 3),
        "report_s_p95": round(p95(times), 3),
        "report_s_all": [round(t, 3) for t in times],
        "report_pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "report_bytes": len(pdf),
    }


def time_batch(
    bench: ReportFirm, *, workers: int, broker_url: str, media_root: str
) -> dict[str, Any]:
    """The firm-wide batch on one real prefork worker of ``workers`` processes."""
    _abandon_active_batches(bench)
    with broker(broker_url), tempfile.TemporaryDirectory(prefix="bench-worker-") as logs:
        app.control.purge()  # nothing left over from an interrupted run
        env = worker_env(broker_url, media_root)
        with celery_worker(env, workers, Path(logs) / "worker.log") as pool:
            sampler = RssSampler(pool)
            sampler.start()
            try:
                begun = timezone.now()
                batch = batches.start_batch(
                    firm=bench.firm,
                    user=bench.admin,
                    period_start=PERIOD_START,
                    period_end=PERIOD_END,
                    scope=ReportBatchScope.FIRM,
                )
                dispatch_batch(bench.firm.pk, batch.pk)
                batch, warm_at = _wait(bench, batch.pk, sampler)
            finally:
                sampler.stop()
    if batch.state != ReportBatchState.COMPLETE:
        raise BenchError(f"the report batch ended {batch.state}: {batch.errors}")
    elapsed = (batch.finished_at - begun).total_seconds()
    with firm_scope(bench.firm):
        outcomes = batches.outcome_counts(batch)
        archived = ArchivedReport.objects.filter(pk__in=batch.items.values("report_id")).count()
    return {
        "batch_reports": archived,
        "batch_outcomes": outcomes,
        "batch_s": round(elapsed, 1),
        "reports_per_min": round(archived * 60 / elapsed, 1),
        **sampler.figures(warm_at),
    }


def _abandon_active_batches(bench: ReportFirm) -> None:
    """A batch of an interrupted run would keep the admin from starting another."""
    with firm_scope(bench.firm):
        active = ReportBatch.objects.filter(
            requested_by=bench.admin,
            state__in=(ReportBatchState.QUEUED, ReportBatchState.RUNNING),
        ).values_list("pk", flat=True)
        for batch_id in list(active):
            batches.fail_batch(bench.firm.pk, batch_id, "abandoned by an interrupted bench run")


def _wait(bench: ReportFirm, batch_id: int, sampler: RssSampler) -> tuple[ReportBatch, float]:
    """Poll the batch until it ends; also when a tenth of it was done (monotonic time)."""
    warm_at = None
    deadline = time.monotonic() + 60 * 60
    while time.monotonic() < deadline:
        with firm_scope(bench.firm):
            batch = ReportBatch.objects.get(pk=batch_id)
        if warm_at is None and batch.done >= max(1, batch.total * WARM_SHARE):
            warm_at = time.monotonic()
        if not batch.active:
            return batch, warm_at if warm_at is not None else time.monotonic()
        if sampler.dead():
            raise BenchError("a Celery worker process died during the batch")
        time.sleep(0.5)
    raise BenchError(f"report batch #{batch_id} did not finish within an hour")


@contextmanager
def broker(url: str) -> Iterator[None]:
    """Send this process's tasks to ``url`` (the bench runs without CELERY_BROKER_URL)."""
    old = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = url, False
    reset_producer_pool()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = old
        reset_producer_pool()


def worker_env(broker_url: str, media_root: str) -> dict[str, str]:
    """The worker's environment: this database, the bench broker and media, DEBUG off (as a
    production worker runs; then a real SECRET_KEY is wanted, so a fresh random one)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.base"),
        "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": broker_url,
        "MEDIA_ROOT": media_root,
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
    }


@contextmanager
def celery_worker(
    env: dict[str, str], processes: int, log: Path, *, nice: int = 0
) -> Iterator[list[int]]:
    """``celery worker -P prefork -c <processes>`` in its own process group, ready; yields the
    pids of its pool processes and stops the group on the way out, errors included. ``nice``:
    run it at that lower CPU priority (``nice -n``, which execs it: the pid stays the worker's),
    its session too (:func:`lower_session_priority`)."""
    args = ["nice", "-n", str(nice)] if nice else []
    args += [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO"]
    args += ["-P", "prefork", "-c", str(processes), "--without-gossip", "--without-mingle"]
    with log.open("a") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            args, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    if nice:
        lower_session_priority(proc.pid, nice)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        children: list[int] = []
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise BenchError(f"the Celery worker exited: {log.read_text()[-2000:]}")
            children = _children(proc.pid)
            if len(children) >= processes and " ready." in log.read_text():
                break
            time.sleep(0.2)
        else:
            raise BenchError(f"the Celery worker was not ready: {log.read_text()[-2000:]}")
        yield children
    finally:
        _stop_group(proc)


def lower_session_priority(pid: int, nice: int) -> None:
    """Give the new session of ``pid`` (and its children) the ``nice`` value as a whole. Linux
    with autogroup (``sched_autogroup_enabled``) shares the CPU between sessions first, so a
    process's own nice only counts against its own session's processes; the session's value
    counts against the others (the web's, PostgreSQL's). Not there (no autogroup): nothing."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def rss_mb(pid: int) -> float | None:
    """A process's resident memory in MiB (``VmRSS`` of /proc), None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class RssSampler(threading.Thread):
    """Samples each pool process's RSS every :data:`SAMPLE_S` seconds until stopped."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.samples: dict[int, list[tuple[float, float]]] = {pid: [] for pid in pids}
        self._stop_event = threading.Event()
        self._take()  # the start-of-batch sample, before anything is dispatched

    def _take(self) -> None:
        now = time.monotonic()
        for pid in self.pids:
            mb = rss_mb(pid)
            if mb is not None:
                self.samples[pid].append((now, mb))

    def run(self) -> None:
        while not self._stop_event.wait(SAMPLE_S):
            self._take()

    def stop(self) -> None:
        self._take()
        self._stop_event.set()
        self.join(5)

    def dead(self) -> bool:
        return any(rss_mb(pid) is None for pid in self.pids)

    def figures(self, warm_at: float) -> dict[str, Any]:
        per = [s for s in self.samples.values() if s]
        if not per:
            raise BenchError("no memory samples of the worker processes")
        after = [[mb for t, mb in s if t >= warm_at] or [s[-1][1]] for s in per]
        return {
            "report_worker_start_mb": round(max(s[0][1] for s in per), 1),
            "report_worker_peak_mb": round(max(mb for s in per for _, mb in s), 1),
            "report_worker_end_mb": round(max(s[-1][1] for s in per), 1),
            "report_worker_growth_mb": round(max(max(mb for _, mb in s) - s[0][1] for s in per), 1),
            "report_worker_growth_after_warm_mb": round(max(max(a) - a[0] for a in after), 1),
            "report_worker_processes": len(per),
            "report_worker_samples": sum(len(s) for s in per),
        }
