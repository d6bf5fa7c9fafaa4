"""Benchmarks and synthetic workloads. Product code never imports this package (a test checks)."""
