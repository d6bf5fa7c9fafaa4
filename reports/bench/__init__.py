"""The report benchmark (``manage.py bench_reports``). Product code never imports this package
(a test checks)."""
