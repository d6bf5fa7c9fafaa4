"""The load test (issue 15, ``manage.py bench_load`` / ``make loadtest``): locust against
gunicorn while a drift batch runs on Celery workers. :mod:`.people` builds the firms,
:mod:`.runner` runs it all, :mod:`.locustfile` is what each simulated person does."""
