# Hearth developer commands. `make run` and `make test` bootstrap everything they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
export AWS_DEFAULT_REGION ?= us-east-1
# Packaging: the interpreter whose version becomes the Lambda runtime (default: the venv's);
# `make deploy` packages with DEPLOY_PYTHON, the runtime prod targets (README, "Deploying").
PACKAGE_PYTHON ?=
DEPLOY_PYTHON ?= python3.13
STAGE ?= dev
REGION ?= $(AWS_DEFAULT_REGION)

.PHONY: help run test lint format unit bench lock clean package deploy chromium browser screenshots

help:
	@echo "make run    - the whole local stack on 127.0.0.1:$(PORT) (emulated AWS, API, live room gateway, runner)"
	@echo "make test   - lint and the whole test suite"
	@echo "make bench  - cold start and DynamoDB requests per route"
	@echo "make package - SAM template + zip per stage in out/package/, checked by cfn-lint"
	@echo "make deploy STAGE=dev|prod DEPLOY_BUCKET=... PARAMS='...' - aws cloudformation deploy (never in CI)"
	@echo "make browser - the browser tests alone (Debian's chromium, installed when missing)"
	@echo "make screenshots - retake the README's screenshots (docs/screenshots/)"

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

test: lint package node_modules/.installed chromium
	$(VENV)/bin/pytest

# The browser tests drive Debian's chromium (never `playwright install`, which downloads a browser).
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "$(CHROMIUM) is missing: run 'sudo apt-get install -y chromium'" >&2; exit 1; \
	  fi; \
	fi

browser: $(VENV)/.installed chromium
	$(VENV)/bin/pytest tests/browser

# Retake the README's screenshots (docs/screenshots/) with the browser tests that make them.
screenshots: $(VENV)/.installed chromium
	HEARTH_SCREENSHOTS=1 $(VENV)/bin/pytest tests/browser -k "arrive_live or alerts or crisis_is_opened or rsvps_by_name or plain_words"

unit: $(VENV)/.installed
	$(VENV)/bin/pytest tests/unit

# The merged SAM template and the code zip for dev and prod, linted (cfn-lint errors fail it).
package: $(VENV)/.installed
	$(PY) scripts/package.py $(if $(PACKAGE_PYTHON),--python $(PACKAGE_PYTHON))

# Creates or updates the stack hearth-$(STAGE) with your AWS credentials; CI never runs it.
# A first deploy needs PARAMS='PublicBaseUrl=https://... SesIdentity=example.org
# "EmailFrom=Hearth <no-reply@example.org>" AlarmEmail=ops@example.org'; later ones keep them.
deploy: $(VENV)/.installed
	@test -n "$(DEPLOY_BUCKET)" || { echo "DEPLOY_BUCKET=<an S3 bucket for the code zip> is required"; exit 2; }
	@command -v aws >/dev/null || { echo "make deploy needs the AWS CLI (aws)"; exit 2; }
	$(PY) scripts/package.py --python $(DEPLOY_PYTHON) $(STAGE)
	aws cloudformation package --region $(REGION) --use-json \
	  --template-file out/package/$(STAGE)/sam.json \
	  --s3-bucket $(DEPLOY_BUCKET) --s3-prefix hearth/$(STAGE) \
	  --output-template-file out/package/$(STAGE)/packaged.json
	aws cloudformation deploy --region $(REGION) \
	  --template-file out/package/$(STAGE)/packaged.json --stack-name hearth-$(STAGE) \
	  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
	  --tags app=hearth stage=$(STAGE) $(if $(PARAMS),--parameter-overrides $(PARAMS))

bench: $(VENV)/.installed
	$(PY) scripts/bench.py $(BENCH_ARGS)

lock: $(VENV)/.installed
	(echo "# Exact versions of every package in the dev/test environment (pip freeze); regenerate with \`make lock\`."; \
	 $(PIP) freeze --exclude-editable) > constraints.txt

clean:
	rm -rf $(VENV) node_modules out .hearth .pytest_cache .ruff_cache
