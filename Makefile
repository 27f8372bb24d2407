# The two Quick start commands are `make run` and `make test`; everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lock test-newest lint format migrate seed worker beat e2e fuzz bench soak redis-outage-soak cluster-soak clean

# Everything pinned, with hashes (requirements-dev.lock: the app, tests, browser tests, fuzzing);
# then the project itself, editable and without dependencies (they are all in the lock).
$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

UV_COMPILE := $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --quiet

## Refresh the lock files from pyproject.toml's ranges (newest versions allowed), for every
## supported Python: requirements.lock (the image) and requirements-dev.lock (developers and CI)
lock: install
	$(PY) -m pip install --quiet 'uv>=0.9,<1'
	$(UV_COMPILE) --upgrade --extra dev --extra e2e --extra fuzz -o requirements-dev.lock
	$(UV_COMPILE) --constraint requirements-dev.lock -o requirements.lock

NEWEST_PYTHON ?= python3.13
NEWEST_VENV := .venv-newest

## The test suite on the newest supported Python, with the newest versions pyproject.toml allows
## (not the lock: this is what a new install would get)
test-newest:
	$(NEWEST_PYTHON) -m venv $(NEWEST_VENV)
	$(NEWEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NEWEST_VENV)/bin/python -m pip install --quiet -e '.[dev]'
	$(NEWEST_VENV)/bin/python -c "import sys, django; print('Python', sys.version.split()[0], '· Django', django.get_version())"
	$(NEWEST_VENV)/bin/pytest -q $(PYTEST_ARGS)

## Set up (venv, install, migrate, demo data) and serve on http://127.0.0.1:8000
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

## Lint, migration check, system check, schema validation and the test suite
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

## Browser tests in Debian's Chromium (installed here if missing) driven by Playwright
e2e: install
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	$(VENV)/bin/pytest -q e2e $(PYTEST_ARGS)

## Schemathesis over our own OpenAPI schema, in-process (FUZZ_EXAMPLES cases per operation)
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-25} $(VENV)/bin/pytest -q fuzz $(PYTEST_ARGS)

WRK := command -v wrk >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)

## Benchmark on PostgreSQL (its own pos_bench database, or BENCH_DATABASE_URL), gunicorn and wrk:
## rewrites the latest run in docs/benchmarks.md
bench: install
	@$(WRK)
	$(PY) -m bench.bench

## Steady orders and kiosk polls for SOAK_SECONDS (300), then no errors, lost orders or oversold
## units; appended to docs/benchmarks.md
soak: install
	@$(WRK)
	$(PY) -m bench.soak

REDIS_SERVER := command -v redis-server >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server)

## Redis killed for OUTAGE_SECONDS (10) amid steady orders, cash payments and kiosk polls
## (gunicorn, Celery worker and beat, PostgreSQL, a Redis of its own on a free port): then 0
## errors, 0 lost orders, every receipt mailed once; written to docs/operations.md
redis-outage-soak: install
	@$(REDIS_SERVER)
	$(PY) -m bench.outage

CLUSTER_TOOLS := command -v haproxy >/dev/null 2>&1 && command -v pgbouncer >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy pgbouncer)

## Two gunicorn instances behind HAProxy, PgBouncer (transaction mode) before PostgreSQL, Redis,
## two Celery workers and beat, a Midtrans stand-in: CLUSTER_SOAK_SECONDS (90) of orders,
## payments, kiosk polls, two big exports and a key rotation; written to docs/operations.md
cluster-soak: install
	@$(REDIS_SERVER)
	@$(CLUSTER_TOOLS)
	$(PY) -m bench.cluster

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: install
	$(PY) manage.py migrate

seed: install
	$(PY) manage.py seed_demo

worker: install
	$(VENV)/bin/celery -A config worker -l info

beat: install
	$(VENV)/bin/celery -A config beat -l info

clean:
	rm -rf $(VENV) $(NEWEST_VENV) db.sqlite3 media staticfiles
