# Hearth developer commands. `make run` and `make test` bootstrap everything they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help run test lint format unit bench lock clean

help:
	@echo "make run    - the whole local stack on 127.0.0.1:$(PORT) (emulated AWS, API, runner)"
	@echo "make test   - lint and the whole test suite"
	@echo "make bench  - cold start and DynamoDB requests per route"

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: $(VENV)/.installed
	PORT=$(PORT) $(PY) scripts/local_stack.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint node_modules/.installed
	$(VENV)/bin/pytest

unit: $(VENV)/.installed
	$(VENV)/bin/pytest tests/unit

bench: $(VENV)/.installed
	$(PY) scripts/bench.py $(BENCH_ARGS)

lock: $(VENV)/.installed
	(echo "# Exact versions of every package in the dev/test environment (pip freeze); regenerate with \`make lock\`."; \
	 $(PIP) freeze --exclude-editable) > constraints.txt

clean:
	rm -rf $(VENV) node_modules out .hearth .pytest_cache .ruff_cache
