"""The rebalance engine: pure functions from plain data to trades (``engine.propose``)."""
