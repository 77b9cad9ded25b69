# voipadmin: `make run` serves the product on the embedded default, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test bench bench-seed bench-lists bench-lookup bench-pages bench-orders-sql bench-load bench-orders bench-reconcile tour lint format messages makemessages migrate clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python >= 3.11 is required"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $@

messages: $(STAMP)
	@command -v msgfmt >/dev/null || { echo "gettext's msgfmt is missing: apt-get install gettext (or brew install gettext)"; exit 1; }
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules --verbosity 0

# Refresh the catalogs from the source (then translate the new zh-Hans entries).
makemessages: $(STAMP)
	$(PY) manage.py makemessages --locale zh_Hans --locale en --ignore=.venv --ignore=node_modules \
		--ignore=var --ignore=tests --ignore=sandbox --no-location
	msgattrib --clear-fuzzy --empty -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po
	msgen -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po

migrate: $(STAMP) messages
	$(PY) manage.py migrate --noinput --verbosity 0

run: migrate
	$(PY) manage.py demo_users
	@echo "voipadmin: http://127.0.0.1:8000  (sandbox cloud on http://127.0.0.1:8001; Ctrl-C stops everything)"
	$(VENV)/bin/honcho -f Procfile start

test: $(STAMP) node_modules/.installed messages
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Benchmarks on PostgreSQL + Redis, DEBUG off (never timed tests); each creates its database when missing.
# The 10^6 data set (bench/seed.py, written by PostgreSQL itself) lives in BENCH_DATABASE_URL, the 10^4 one
# in BENCH_SMALL_DATABASE_URL; then the load test, /mall/orders/ on its own seed, and the sync and reconciliation.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/voipadmin_bench_big
BENCH_SMALL_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/voipadmin_bench_small
export BENCH_DATABASE_URL BENCH_SMALL_DATABASE_URL

bench: bench-lists bench-lookup bench-pages bench-orders-sql bench-load bench-orders bench-reconcile

bench-seed: $(STAMP) messages
	$(PY) -m bench.seed $(BENCH_SEED_ARGS)

bench-lists: bench-seed
	$(PY) -m bench.lists $(BENCH_ARGS)

bench-lookup: bench-seed
	$(PY) -m bench.lookup

bench-pages: bench-seed
	$(PY) -m bench.pages

bench-orders-sql: bench-seed
	$(PY) -m bench.orders_sql --profile

bench-load: bench-seed
	$(PY) -m bench.load $(BENCH_LOAD_ARGS)

bench-orders: $(STAMP) messages
	DATABASE_URL=$${BENCH_ORDERS_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(PY) -m bench.mall_orders $(BENCH_ARGS)

bench-reconcile: $(STAMP) messages
	DATABASE_URL=$${BENCH_RECONCILE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/voipadmin_bench} \
	CELERY_BROKER_URL=$${BENCH_BROKER_URL:-redis://127.0.0.1:6379/14} $(PY) -m bench.reconcile $(BENCH_RECONCILE_ARGS)

# Refresh the README tour: the browser tests screenshot every page on the demo data.
tour: $(STAMP) node_modules/.installed messages
	$(VENV)/bin/pytest tests/e2e/test_tour.py -q
	mkdir -p docs/tour && for f in test-artifacts/tour/ops-zh-1440-*.png; do cp "$$f" "docs/tour/ops-$${f##*/ops-zh-1440-}"; done

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf var test-artifacts .pytest_cache
