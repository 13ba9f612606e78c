# Lodestone: `make up` runs the whole suite locally, `make test` runs every test.
# uv is bootstrapped from PyPI when missing; everything else comes from the lock file.
SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen

.PHONY: help bootstrap sync vendor console sdk k8s-schemas mailpit up demo down status test test-faults test-fast lint bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

bootstrap:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
		python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

sync: bootstrap ## install the locked Python environment
	@$(UV) sync --frozen --quiet

VENDOR := services/reporting/src/lodestone_reporting/static/vendor
vendor: ## fetch the dashboard's chart library from npm into the reporting service
	@cd services/reporting/web && npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(VENDOR) && cp services/reporting/web/node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/

console: sync ## build the console's web app (TypeScript, Vite; its API types generated from the services' OpenAPI) into its Python package
	@$(RUN) python services/console/web/scripts/openapi.py services/console/web/openapi
	@cd services/console/web && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

mailpit: sync ## build the Mailpit mail catcher once, from the Go module proxy (pinned)
	@$(RUN) python deploy/local/stack.py build-mailpit \
		|| echo "Mailpit did not build: the project's Python mail catcher stands in"

up: sync vendor console mailpit ## start Kafka, MongoDB, the four services and the console (http://127.0.0.1:8000); OBSERVE=1 adds Prometheus
	@if [ "$(DEMO)" = "1" ] && command -v cargo >/dev/null 2>&1; then \
		$(RUN) python deploy/local/stack.py build-secantus-rs \
		|| echo "secantusd-rs did not build: the demo runs on the Python daemon, slowly"; fi
	@OBSERVE=$(OBSERVE) $(RUN) python deploy/local/stack.py up
	@if [ "$(DEMO)" = "1" ]; then $(RUN) python deploy/local/seed.py; \
		echo "dashboard: http://127.0.0.1:8004/#key=$${LODESTONE_API_KEY:-lodestone-dev-key}"; \
		echo "console:   http://127.0.0.1:8000/"; fi

demo: ## `make up`, then seed a few weeks of demo prospects (same as `make up DEMO=1`)
	@$(MAKE) --no-print-directory up DEMO=1

down: ## stop everything `make up` started
	@$(RUN) python deploy/local/stack.py down

status: ## which local processes run, each consumer group's lag and last progress
	@$(RUN) python deploy/local/stack.py status

sdk: ## Segment's JavaScript SDKs from npm, which the SDK tests drive (tests/sdk)
	@cd tests/sdk && npm ci --no-audit --no-fund --loglevel=error

k8s-schemas: ## KEDA's and Strimzi's CRD schemas from npm, which tests/test_k8s.py validates against
	@cd tests/k8s && npm ci --no-audit --no-fund --loglevel=error

test: sync vendor console sdk k8s-schemas mailpit ## every test (starts a private Kafka + MongoDB on other ports, stops them after)
	@$(RUN) ruff check .
	@cd services/console/web && npm run --silent test
	@$(RUN) pytest

test-faults: sync vendor console mailpit ## the slow fault suite: 10,000 events per fault, every service scaled
	@LODESTONE_FAULTS=slow $(RUN) pytest tests/faults

test-fast: sync ## unit tests only (no infrastructure)
	@$(RUN) pytest -m "not infra"

lint: sync ## ruff
	@$(RUN) ruff check . && $(RUN) ruff format --check .

bench: sync ## benchmarks (see bench/README.md)
	@$(RUN) python -m bench

secantus-rs: sync ## build SecantusDB's Rust daemon once (faster; `make up` then prefers it)
	@$(RUN) python deploy/local/stack.py build-secantus-rs
