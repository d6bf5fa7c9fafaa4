"""Rebalance proposals: the audited workflow, its inputs, edits, batches and order files."""
