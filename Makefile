# saferstaff — `make help` lists the targets. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SAFERSTAFF := $(VENV)/bin/saferstaff
# The school guidance the demo publishes, when ../shared is beside the clone (it is not part of the project).
SEED_POLICY := ../shared/seed/online-safety-and-social-media-guidance.txt
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in emails and the demo's sign-in line use the address `make run` serves on.
export SITE_URL ?= http://$(HOST):$(PORT)
WEB_WORKERS ?= 2
export SAFERSTAFF_VAR ?= $(CURDIR)/var

.PHONY: help setup migrate run test test-postgres test-browser screenshot lint bench bench-env bench-load demo clean
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -c "import django, saferstaff" && touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

saferstaff/static/build/app.css: node_modules/.installed frontend/app.scss
	mkdir -p saferstaff/static/build/assets
	npx sass --load-path=. --no-source-map --style=compressed frontend/app.scss $@
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js saferstaff/static/build/
	cp -r node_modules/govuk-frontend/dist/govuk/assets/images saferstaff/static/build/assets/

setup: $(VENV)/.installed saferstaff/static/build/app.css ## install Python and front-end dependencies, build assets
	$(SAFERSTAFF) collectstatic --noinput -v0

migrate: setup
	$(SAFERSTAFF) migrate --noinput -v0
	$(SAFERSTAFF) createcachetable

demo: migrate ## load the demo school (if the database has no schools yet)
	$(SAFERSTAFF) load_demo --if-empty $(if $(wildcard $(SEED_POLICY)),--policy $(SEED_POLICY))

run: demo ## set up, migrate, load the demo school and serve on http://127.0.0.1:8000 with two workers (one for takedown checks alone)
	@echo "saferstaff on http://$(HOST):$(PORT)/  (Ctrl-C stops the web server, the worker and the daily jobs)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(SAFERSTAFF) run_worker --interval 1 & \
	  $(SAFERSTAFF) run_worker --interval 1 --queue-name checks & \
	  $(SAFERSTAFF) run_daily --every 86400 & \
	  $(VENV)/bin/granian --interface wsgi --host $(HOST) --port $(PORT) --workers $(WEB_WORKERS) \
	    --blocking-threads 4 --backpressure 32 \
	    --static-path-route /static --static-path-mount $(SAFERSTAFF_VAR)/static saferstaff.wsgi:application

test: setup ## run the test suite on SQLite (browser/Postgres tests skip unless their parts are present)
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: setup ## the suite on a throwaway local PostgreSQL 15 cluster (needs Debian's postgresql-15)
	scripts/ci-postgres run $(PY) -m pytest $(PYTEST_ARGS)

test-browser: setup ## only the browser tests (Playwright + Debian's Chromium + axe)
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

screenshot: setup ## refresh docs/screenshot.png from the browser walkthrough
	SAFERSTAFF_SCREENSHOT=1 $(PY) -m pytest -m browser -k headteacher_walkthrough

lint: setup ## ruff, then the import contracts (pyproject.toml [tool.importlinter])
	$(VENV)/bin/ruff check saferstaff tests benchmarks
	$(VENV)/bin/lint-imports

.venv-bench/.installed: requirements-bench.lock
	@test -x .venv-bench/bin/python || "$$(scripts/find-python)" -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet --disable-pip-version-check "setuptools<81"
	.venv-bench/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -r requirements-bench.lock
	touch $@

.venv-presidio/.installed: requirements-presidio.lock
	@test -x .venv-presidio/bin/python || "$$(scripts/find-python)" -m venv .venv-presidio
	.venv-presidio/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-presidio.lock
	touch $@

bench-env: .venv-bench/.installed .venv-presidio/.installed ## the baselines' own venvs (face_recognition, Presidio)

bench: setup bench-env ## run the benchmarks (tables compare with their named baselines)
	$(PY) benchmarks/roster_import.py
	$(PY) benchmarks/trust_dashboard.py
	$(PY) benchmarks/trust_figures.py
	$(PY) benchmarks/images.py
	$(PY) benchmarks/faces.py --data ../shared/data/faces
	$(PY) benchmarks/album.py --data ../shared/data/faces
	$(PY) benchmarks/screening.py
	$(PY) benchmarks/policy_search.py
	$(PY) benchmarks/audit.py
	$(PY) benchmarks/conduct.py
	$(PY) benchmarks/incidents.py
	$(PY) benchmarks/pack.py
	$(PY) benchmarks/health.py
	$(PY) benchmarks/webserver.py
	$(PY) benchmarks/pages.py
	$(PY) benchmarks/writes.py

bench-load: setup ## 200 schools, 1,000,000 images on a throw-away PostgreSQL: datagen.py, then load.py (~20 min)
	scripts/ci-postgres run bash -c 'export SAFERSTAFF_VAR=$$(mktemp -d) && $(PY) manage.py migrate --noinput -v0 \
	  && $(PY) manage.py createcachetable && $(PY) benchmarks/datagen.py $(DATAGEN_ARGS) \
	  && $(PY) benchmarks/load.py $(LOAD_ARGS); rc=$$?; rm -rf "$$SAFERSTAFF_VAR"; exit $$rc'

clean: ## remove the virtualenv, node_modules, built assets and the local database
	rm -rf $(VENV) .venv-bench .venv-presidio node_modules saferstaff/static/build var
