# J1MSKY: `make run` sets up and runs the service; `make test` runs the whole test suite.
# The first Python >= 3.11 that actually runs (pyenv shims may name versions that are not active).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { command -v $$p; break; }; done)
VENV ?= .venv
# Test processes (pytest-xdist); CI machines have 2 cores.
PYTEST_WORKERS ?= 2
# The code bandit checks for high-severity findings (the tests run subprocesses on purpose).
BANDIT_PATHS ?= j1msky security billing agents pricing orchestrator webhooks console bench bin manage.py
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: install run test lint schema bench bench-pg browser screenshots

$(STAMP): requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "J1MSKY needs Python >= 3.11 (python3.11 or newer)"; exit 1; }
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/python manage.py up

# Headless Chromium and its driver for the browser tests (Debian's packages, which keep the two
# at one version; installed when missing and root).
browser:
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else echo "browser tests need Debian's chromium: sudo apt-get install chromium chromium-driver"; exit 1; fi; }

# The screenshots the README shows, written by the browser tests into docs/screenshots.
screenshots: $(STAMP) browser
	J1MSKY_SCREENSHOTS_DIR=docs/screenshots $(VENV)/bin/python -m pytest -p no:cacheprovider -q \
		tests/security/test_admin_browser.py tests/pricing/test_admin_browser.py \
		tests/console/test_dashboard_browser.py

test: $(STAMP) browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports
	$(VENV)/bin/bandit -q -r $(BANDIT_PATHS) --severity-level high
	$(VENV)/bin/python bin/pip_audit_check.py $(VENV)/bin/pip-audit
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schema: $(STAMP)
	$(VENV)/bin/python manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml

# Benchmarks on the backend the environment names (SQLite + the filesystem broker by default).
bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done

# The same on PostgreSQL + Redis: each benchmark creates and drops its own database next to
# BENCH_DATABASE_URL's (`test_bench_<name>`) and uses Redis database BENCH_REDIS_DB.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
BENCH_REDIS_DB ?= 15
bench-pg: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; \
		DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=redis://127.0.0.1:6379/$(BENCH_REDIS_DB) \
		$(VENV)/bin/python $$b || exit 1; done
