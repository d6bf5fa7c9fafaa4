"""Benchmarks and synthetic workloads. Product code never imports this package (a test checks)."""

import math


class BenchError(Exception):
    """A benchmark cannot run as asked (wrong database, missing peer, a failed run)."""


def p95(values: list[float]) -> float:
    """The 95th percentile, nearest rank: the value at rank ceil(0.95 · n)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
