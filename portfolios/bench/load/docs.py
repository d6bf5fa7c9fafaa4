"""The load test's figures into docs/benchmarks.md: one table row per user level, added to the
end of the "Load test (issue 15)" section. The first run replaces the section's placeholder
line and writes the table's header."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

HEADING = "## Load test (issue 15)"
PLACEHOLDER = "_Not yet measured on a quiet machine._"
HEADER = [
    "| Date | Users | Think (s) | Window (s) | Requests | Req/s | p50 (ms) | p95 pages (ms) "
    "| 5xx | Failures | Drift batch during the level |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
]


def rows(result: dict[str, Any], day: dt.date) -> list[str]:
    low, high = result["think_s"]
    return [
        f"| {day} | {level['users']} | {low:g}–{high:g} | {level['window_s']} "
        f"| {level['requests']} | {level['rps']} | {level['p50_ms']} | {level['pages_p95_ms']} "
        f"| {level['5xx']} | {level['failures']} | {result['drift_accounts']:,} accounts: "
        f"{level['drift_runs_complete']} runs complete, the last {level['drift_last_state']} |"
        for level in result["levels"]
    ]


def append_figures(path: Path, result: dict[str, Any], day: dt.date | None = None) -> None:
    """Add the rows at the end of the section; refuse (ValueError, file untouched) if the
    section is missing."""
    lines = path.read_text().splitlines()
    if HEADING not in lines:
        raise ValueError(f"{path} has no {HEADING!r} section to write the figures into")
    start = lines.index(HEADING)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # after the section's last non-blank line
    section = [line for line in lines[start:end] if line != PLACEHOLDER]
    if HEADER[0] not in section:
        while section and not section[-1].strip():
            section.pop()
        section += ["", *HEADER]
    lines[start:end] = section + rows(result, day or dt.datetime.now(dt.UTC).date())
    path.write_text("\n".join(lines) + "\n")
