"""The audit benchmark (issue 10): a firm of a million chained audit events, and the compliance
workspace's pages timed on it. Product code never imports this package (a test checks)."""
