# The two commands: `make demo` (SQLite, demo data, web UI) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
# Human-labelled sets AutoQA is measured on in the demo, when they are there (read in place).
VALIDATION_SETS ?= ../shared/data/autoqa_labelled

.PHONY: demo test install install-dev lint serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python node_modules/axe-core/axe.min.js
	$(BIN)/pip install --quiet -e ".[dev]"

# axe-core, from the npm registry, for the browser tests' accessibility checks.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

demo: install
	$(BIN)/supportqa migrate --verbosity 0
	$(BIN)/supportqa demo $(if $(wildcard $(VALIDATION_SETS)),--validation-sets $(VALIDATION_SETS))
	@echo "Serving SupportQA on http://$(HOST)/ with a background worker (Ctrl-C stops both)"
	$(BIN)/supportqa worker --poll 2 --parent $$$$ & exec $(BIN)/supportqa runserver $(HOST) --noreload --skip-checks

test: install-dev
	$(BIN)/ruff check supportqa tests bench
	$(BIN)/mypy supportqa/core
	$(BIN)/supportqa makemigrations --check --dry-run --verbosity 0
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var build *.egg-info node_modules
