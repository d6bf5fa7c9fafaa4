# Ballast: the two commands that matter are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ballast_bench
# e.g. BENCH_CONCURRENCY_ARGS='--rounds 5 --think-ms 0 0' (see manage.py bench_concurrency --help)
BENCH_CONCURRENCY_ARGS ?=

.PHONY: run test lint migrations-check services bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

## run: set up and serve the demo on the embedded default (SQLite, in-process tasks), with
## DEBUG off (config/settings/demo.py: friendly error pages, static files by WhiteNoise)
DEMO_SETTINGS ?= config.settings.demo
run: $(VENV)/.base-installed
	mkdir -p var
	DJANGO_SETTINGS_MODULE=$(DEMO_SETTINGS) $(BIN)/python manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=$(DEMO_SETTINGS) $(BIN)/python manage.py seed_demo
	DJANGO_SETTINGS_MODULE=$(DEMO_SETTINGS) $(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: lint, migration check and the whole suite on PostgreSQL (+ Redis), through a
## pgbouncer in transaction mode that it starts on $(PGBOUNCER_PORT) (bin/pgbouncer-up), as
## production runs; the tests that need PostgreSQL itself (the standby, the backup drill)
## reach it directly. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ballast
## TEST_DB_POOLER= runs it without the pooler.
PGBOUNCER_PORT ?= 6432
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:$(PGBOUNCER_PORT)/ballast
TEST_DB_POOLER ?= transaction
test: $(VENV)/.dev-installed services lint typecheck migrations-check
	PGBOUNCER_PORT=$(PGBOUNCER_PORT) bin/pgbouncer-up
	BALLAST_DB_POOLER=$(TEST_DB_POOLER) DATABASE_URL=$(TEST_DATABASE_URL) \
		DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/pytest

services:
	bin/ensure-services
	@# Chromium for the browser tests; HarfBuzz's subsetter for WeasyPrint's fonts (it warns,
	@# and the suite treats warnings as errors, without it); poppler-utils for pdftotext/pdftoppm.
	@# pgbouncer: make test runs the suite through it (issue 15).
	command -v chromium >/dev/null && dpkg -s libharfbuzz-subset0 >/dev/null 2>&1 \
		&& command -v pdftotext >/dev/null && command -v pgbouncer >/dev/null \
		|| (apt-get update -qq && apt-get install -y -qq chromium libharfbuzz-subset0 \
			poppler-utils pgbouncer)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## typecheck: mypy (django-stubs) on the pure domain modules listed in pyproject.toml
.PHONY: typecheck
typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

migrations-check: $(VENV)/.dev-installed
	DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run

## backup-drill: pg_dump a database (a fresh seeded demo, or BACKUP_DRILL_SOURCE_DB), restore
## it into a new one, verify the audit chain, the report archive, the security setup and every
## table's row count on the restore; PASS or FAIL, then the drill's databases are dropped
## (bin/backup-drill, docs/deploy.md "Backups and the restore drill")
.PHONY: backup-drill
backup-drill: $(VENV)/.base-installed
	bin/ensure-services
	bin/backup-drill

## bench: drift batch (100,000 accounts x 25, PostgreSQL), rebalance engine, household reports
## (a warm single report; 500 as a batch on a real Celery worker of 2 processes, Redis db 11),
## the compliance workspace on 1,000,000 audit events (search, who saw what, chain verification),
## household pages over HTTP (gunicorn, 20 clients) alone and during a 25,000-lot position
## import, hostile position files (20 MB of identical lines; 500,000 distinct bad rows), and
## the API's list endpoints at 2,000 households (p95 per page, queries per page), and a
## model-change preview over 50,000 households (2.5 M lots) on 2 worker processes; one JSON line each
bench: $(VENV)/.dev-installed services
	psql -h 127.0.0.1 -U postgres -lqt | cut -d'|' -f1 | grep -qw ballast_bench \
		|| createdb -h 127.0.0.1 -U postgres ballast_bench
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_drift \
		--accounts 100000 --positions-per-account 25
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_rebalance
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_reports
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_audit
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_concurrency $(BENCH_CONCURRENCY_ARGS)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_imports
	@# Issue 13: the API's list endpoints page by page over HTTP at 2,000 households
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_api --households 2000
	@# Issue 14: a model-change preview over the drift benchmark's 50,000 households, 2 workers
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_preview

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

## loadtest (issue 15): locust users (advisors browsing, proposing and editing; portal clients
## downloading a report; compliance searching the trail; 3-10 s on each page) against gunicorn
## with config/gunicorn.conf.py, while 100,000-account drift batches run back to back on a
## Celery worker process at nice 10 (Redis db 12); 8, 16, 50 and 200 users, each level timed
## for 60 s once all its users have signed in. One JSON line; the figures go into
## docs/benchmarks.md. e.g. LOADTEST_ARGS='--levels 8 16 --seconds 30'
LOADTEST_ARGS ?=
.PHONY: loadtest
loadtest: $(VENV)/.dev-installed services
	psql -h 127.0.0.1 -U postgres -lqt | cut -d'|' -f1 | grep -qw ballast_bench \
		|| createdb -h 127.0.0.1 -U postgres ballast_bench
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench_load --write-docs $(LOADTEST_ARGS)
