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

.PHONY: help run test check lint types format unit bench lock clean package deploy preflight rollback releases redrive-events chromium browser screenshots

help:
	@echo "make run    - the whole local stack on 127.0.0.1:$(PORT) (emulated AWS, API, live room gateway, runner)"
	@echo "make check  - the quick loop after an edit: lint, types (mypy) and the unit tests"
	@echo "make test   - lint, types and the whole test suite"
	@echo "make bench  - cold start, DynamoDB requests per route, the 7 PM reminder burst"
	@echo "make package - SAM template + zip per stage in out/package/, checked by cfn-lint"
	@echo "make preflight STAGE=dev|prod [SES_IDENTITY=...] - read-only checks of the AWS account before a deploy"
	@echo "make deploy STAGE=dev|prod DEPLOY_BUCKET=... PARAMS='...' - aws cloudformation deploy (never in CI)"
	@echo "make releases / rollback STAGE=... DEPLOY_BUCKET=... [ROLLBACK_TO=<release>] - list / redeploy a kept release"
	@echo "make redrive-events STAGE=... - replay inbound SMS and SES events that failed every attempt"
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

# The suite runs on TEST_WORKERS processes (pytest-xdist; `auto` = one per CPU); every server a test
# starts (the local stack, dynalite) takes free ports, so workers never share one.
TEST_WORKERS ?= auto
test: lint types package node_modules/.installed chromium
	$(VENV)/bin/pytest -n $(TEST_WORKERS)

# The loop to run after every edit (well under two minutes); `make test` stays the full gate.
check: lint types unit

# Types: strict on chalicelib/ and app.py, scripts/ a little less (pyproject.toml, [tool.mypy]).
types: $(VENV)/.installed
	$(VENV)/bin/mypy

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
	HEARTH_SCREENSHOTS=1 $(VENV)/bin/pytest tests/browser -k "arrive_live or alerts or crisis_is_opened or rsvps_by_name or plain_words or another_device or crisis_help_has_lines"

unit: $(VENV)/.installed
	$(VENV)/bin/pytest -n $(TEST_WORKERS) tests/unit

# The merged SAM template and the code zip for dev and prod, linted (cfn-lint errors fail it).
package: $(VENV)/.installed
	$(PY) scripts/package.py $(if $(PACKAGE_PYTHON),--python $(PACKAGE_PYTHON))

# Read-only checks of the account a deploy targets (Lambda concurrency, SMS sandbox, spend limit and
# origination numbers, SES sandbox and identity): prints what to fix first. Makes no change.
preflight: $(VENV)/.installed
	$(PY) scripts/preflight.py --stage $(STAGE) --region $(REGION) \
	  $(if $(SES_IDENTITY),--ses-identity '$(SES_IDENTITY)') \
	  $(if $(SMS_ORIGINATION_IDENTITY),--sms-origination-identity '$(SMS_ORIGINATION_IDENTITY)') \
	  $(if $(WORKER_CONCURRENCY),--worker-concurrency $(WORKER_CONCURRENCY)) \
	  $(if $(filter false,$(RESERVE_WORKER_CONCURRENCY)),--no-reserve)

# Creates or updates the stack hearth-$(STAGE) with your AWS credentials; CI never runs it.
# A first deploy needs PARAMS='PublicBaseUrl=https://... SesIdentity=example.org
# "EmailFrom=Hearth <no-reply@example.org>" AlarmEmail=ops@example.org' (prod also
# SmsOriginationIdentity=...); later ones keep them. The packaged template (over 51,200 bytes) goes
# to CloudFormation through the bucket, and each release's packaged template stays in the bucket
# under hearth/<stage>/releases/ so `make rollback` can redeploy it.
RELEASES = s3://$(DEPLOY_BUCKET)/hearth/$(STAGE)/releases
RELEASE ?= $(shell date -u +%Y%m%dT%H%M%SZ)-$(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
CFN_DEPLOY = aws cloudformation deploy --region $(REGION) --stack-name hearth-$(STAGE) \
	  --s3-bucket $(DEPLOY_BUCKET) --s3-prefix hearth/$(STAGE)/templates \
	  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
	  --tags app=hearth stage=$(STAGE)
deploy: $(VENV)/.installed
	@test -n "$(DEPLOY_BUCKET)" || { echo "DEPLOY_BUCKET=<an S3 bucket for the code zip and templates> is required"; exit 2; }
	@command -v aws >/dev/null || { echo "make deploy needs the AWS CLI (aws)"; exit 2; }
	$(PY) scripts/package.py --python $(DEPLOY_PYTHON) $(STAGE)
	aws cloudformation package --region $(REGION) --use-json \
	  --template-file out/package/$(STAGE)/sam.json \
	  --s3-bucket $(DEPLOY_BUCKET) --s3-prefix hearth/$(STAGE) \
	  --output-template-file out/package/$(STAGE)/packaged.json
	aws s3 cp --region $(REGION) --only-show-errors out/package/$(STAGE)/packaged.json $(RELEASES)/$(RELEASE).json
	$(CFN_DEPLOY) --template-file out/package/$(STAGE)/packaged.json $(if $(PARAMS),--parameter-overrides $(PARAMS))
	@echo "released $(RELEASE); roll back with: make rollback STAGE=$(STAGE) DEPLOY_BUCKET=$(DEPLOY_BUCKET) ROLLBACK_TO=<an earlier release>"

# The releases kept in the bucket, oldest first.
releases:
	@test -n "$(DEPLOY_BUCKET)" || { echo "DEPLOY_BUCKET=<the deploy bucket> is required"; exit 2; }
	aws s3 ls --region $(REGION) $(RELEASES)/

# Redeploys a kept release's packaged template (its code zip is still in the bucket, under the
# content hash `aws cloudformation package` gave it) with the stack's current parameters: one
# CloudFormation update, no packaging.
rollback:
	@test -n "$(DEPLOY_BUCKET)" || { echo "DEPLOY_BUCKET=<the deploy bucket> is required"; exit 2; }
	@test -n "$(ROLLBACK_TO)" || { echo "ROLLBACK_TO=<release> is required; the releases (make releases):"; aws s3 ls --region $(REGION) $(RELEASES)/; exit 2; }
	mkdir -p out/rollback
	aws s3 cp --region $(REGION) --only-show-errors $(RELEASES)/$(ROLLBACK_TO).json out/rollback/$(STAGE).json
	$(CFN_DEPLOY) --template-file out/rollback/$(STAGE).json

# Replays the events in hearth-$(STAGE)-events-failed (inbound SMS, SES feedback) into the
# functions they failed in; each is idempotent, so a replay never acts twice.
redrive-events: $(VENV)/.installed
	$(PY) scripts/redrive_events.py --stage $(STAGE) --region $(REGION)

bench: $(VENV)/.installed
	$(PY) scripts/bench.py $(BENCH_ARGS)

lock: $(VENV)/.installed
	(echo "# Exact versions of every package in the dev/test environment (pip freeze); regenerate with \`make lock\`."; \
	 $(PIP) freeze --exclude-editable) > constraints.txt

clean:
	rm -rf $(VENV) node_modules out .hearth .pytest_cache .ruff_cache .mypy_cache
