# voipadmin: `make run` serves the product on the embedded default, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test bench lint format messages makemessages migrate clean

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
	msgen -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po

migrate: $(STAMP) messages
	$(PY) manage.py migrate --noinput --verbosity 0

run: migrate
	$(PY) manage.py demo_users
	@echo "voipadmin: http://127.0.0.1:8000  (sandbox cloud on http://127.0.0.1:8001; Ctrl-C stops everything)"
	$(VENV)/bin/honcho -f Procfile start

test: $(STAMP) node_modules/.installed messages
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf var test-artifacts .pytest_cache
