"""The import benchmark behind ``manage.py bench_imports`` (one JSON line of these keys).

- ``import_dup_s`` / ``import_dup_peak_mb``: a position file of identical lines, just
  under the 20 MB limit (issue 11: such a file once grew a process to 23.8 GB).
- ``import_bad_rows_s`` / ``import_bad_rows_peak_mb``: a file of 500,000 distinct bad rows.

Each file goes through what the import task does with a stored file
(:func:`portfolios.imports.staging` reads it with ``plan_positions`` and keeps the
capped error list), in a fresh child process (``bench_imports --child``), so the
peak is that process's own maximum resident set size (``ru_maxrss``), Django's
baseline included. The seconds are the validation alone, timed in the child.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from advisory.models import Firm
from portfolios.bench import BenchError
from portfolios.imports.csv_rows import MAX_FILE_BYTES, MAX_REPORTED_ERRORS
from portfolios.imports.positions import plan_positions

HEADER = b"account_number,symbol,quantity,cost_basis,acquired_date\n"
DUP_LINE = b"BENCH-0001,VOO,10,1000.00,2024-01-02\n"
BAD_ROWS = 500_000


def write_dup_file(path: Path) -> int:
    """Identical lines up to just under the size limit; returns the number of data rows."""
    rows = (MAX_FILE_BYTES - len(HEADER) - 1) // len(DUP_LINE)
    with path.open("wb") as f:
        f.write(HEADER)
        for _ in range(rows // 10_000):
            f.write(DUP_LINE * 10_000)
        f.write(DUP_LINE * (rows % 10_000))
    return rows


def write_bad_rows_file(path: Path, rows: int = BAD_ROWS) -> int:
    """``rows`` distinct rows, each with a quantity that is not a number."""
    with path.open("wb") as f:
        f.write(HEADER)
        for start in range(0, rows, 10_000):
            chunk = range(start, min(rows, start + 10_000))
            f.write(b"".join(b"B%d,S%d,x%d,1,2024-01-02\n" % (i, i, i) for i in chunk))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BenchError(f"{path.name} is over the size limit")
    return rows


def validate_file(firm_id: int, path: str) -> dict[str, Any]:
    """The child's work: validate ``path`` as the import task does; seconds and peak RSS."""
    started = time.perf_counter()
    plan = plan_positions(firm_id, path)
    stored_errors = [[e.row, e.column, e.message] for e in plan.result.errors]
    seconds = time.perf_counter() - started
    if len(stored_errors) > MAX_REPORTED_ERRORS:
        raise BenchError(f"{len(stored_errors)} errors kept, more than the cap")
    return {
        "seconds": round(seconds, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rows": plan.result.rows_read,
        "errors": plan.result.error_count,
        "errors_kept": len(stored_errors),
        "error_bytes": len(json.dumps(stored_errors)),
        "written": plan.result.written,
    }


def _child(firm_id: int, path: Path) -> dict[str, Any]:
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench_imports",
               "--child", str(path), "--firm", str(firm_id)]  # fmt: skip
    # Our own interpreter and manage.py, with arguments we built: no shell, no user input.
    done = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, env=os.environ.copy(), check=False
    )
    if done.returncode != 0:
        raise BenchError(f"child failed on {path.name}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(firm_id: int | None = None) -> dict[str, Any]:
    """Generate both files, validate each in a child process, return the JSON keys."""
    firm_id = firm_id or Firm.objects.order_by("pk").values_list("pk", flat=True).first() or 0
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        dup, bad = Path(tmp, "identical.csv"), Path(tmp, "bad-rows.csv")
        dup_rows, bad_rows = write_dup_file(dup), write_bad_rows_file(bad)
        dup_result, bad_result = _child(firm_id, dup), _child(firm_id, bad)
    return {
        "import_dup_s": dup_result["seconds"],
        "import_dup_peak_mb": dup_result["peak_mb"],
        "import_bad_rows_s": bad_result["seconds"],
        "import_bad_rows_peak_mb": bad_result["peak_mb"],
        "import_dup_rows": dup_rows,
        "import_dup_errors": dup_result["errors"],
        "import_bad_rows": bad_rows,
        "import_bad_rows_errors": bad_result["errors"],
        "import_errors_kept_max": max(dup_result["errors_kept"], bad_result["errors_kept"]),
        "import_error_bytes_max": max(dup_result["error_bytes"], bad_result["error_bytes"]),
    }
