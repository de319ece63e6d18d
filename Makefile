# Two set-up commands: `make run` (install, build the knowledge base, serve the app) and
# `make test` (install what tests need, then lint, types and tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# the mirror beside the repository when there is one; otherwise the download cache
MEDREF_SOURCES ?= $(if $(wildcard ../shared/cms),../shared/cms,)
export MEDREF_SOURCES
# Spark (the claim-check plan's cluster engine, tested on local[2]) binds to loopback
export SPARK_LOCAL_IP ?= 127.0.0.1
# server worker processes for `make run`: one per core (each holds its own indexes, ~0.6 GB)
WORKERS ?= 2

.PHONY: install run build test lint types pytest smoke browser-deps bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,spark]'
	touch $@

install: $(VENV)/.installed

build: install
	$(BIN)/medref build

run: build
	$(BIN)/medref serve --workers $(WORKERS)

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports --no-cache

types: install
	$(BIN)/mypy

browser-deps:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) || \
	  echo "chromium not installed: browser tests will be skipped"

pytest: install browser-deps
	$(BIN)/pytest -n 2 -q

# the built wheel in a fresh venv outside the repository: build, search (dense), vault, serve
smoke: install
	bash scripts/wheel_smoke.sh

test: lint types pytest smoke

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
