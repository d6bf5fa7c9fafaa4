"""Drift: the pure vectorised engine, loading a chunk, writing snapshots, runs and page reads."""
