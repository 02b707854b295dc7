# One entry point for every chore. `make demo` and `make test` work on a fresh clone:
# they create .venv and install what they need first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
UV     := $(VENV)/bin/uv
# Exact versions of everything installed, tested and shipped (`make lock` writes both files):
# requirements.lock for development and CI (every Python 3.11-3.13, every platform), and the
# layer's shared/requirements.txt: the runtime pins of the lock for the Lambda runtime, less
# what that runtime provides itself (boto3 and its own dependencies).
LOCK   := requirements.lock
LAYER_REQUIREMENTS := shared/requirements.txt
RUNTIME_PROVIDED   := boto3 botocore s3transfer urllib3 jmespath
# The Lambda runtime and architecture of template.yaml (python3.13 on arm64, Amazon Linux 2023,
# glibc 2.34): the layer takes wheels of these tags only, so it never holds a build of this machine.
LAYER_PYTHON    := 3.13
LAYER_PLATFORMS := manylinux_2_34_aarch64 manylinux_2_28_aarch64 manylinux_2_17_aarch64 manylinux2014_aarch64
# Development tools of the package that no function runs: not in the layer (docs/DEPLOY.md).
LAYER_EXCLUDES  := groupaudit/local groupaudit/cli groupaudit/docs_gen.py groupaudit/api/openapi.py
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

.DEFAULT_GOAL := help
.PHONY: help setup demo test unit mutate chaos probes lint typecheck format schemas bench eval lock build clean browser \
        build-GroupAuditLayer build-SchedulerFunction build-AuditWorkerFunction \
        build-NotifierFunction build-ApiFunction build-ReporterFunction

help:
	@echo "make demo     scheduled audit of the sample tenant through the pipeline on a local moto server,"
	@echo "             then its month day by day, an appeal, and the month's report in .demo/reports/"
	@echo "make test     lint + typecheck + the whole test suite (with make browser first)"
	@echo "make browser  headless Chromium and CJK fonts for tests/browser (apt-get, when run as root)"
	@echo "make unit     the engine, rules and policy tests only (no moto, no servers): seconds"
	@echo "make mutate   mutation testing of the rules and the engine against make unit's tests (MUTANTS=glob)"
	@echo "make chaos    the local pipeline under injected faults, 3 seeds a scenario (SEEDS=n), against a fault-free run"
	@echo "make probes   the probe battery (forged requests, bad inputs, SSRF, log scans) and its totals"
	@echo "make bench    benchmarks: engine (10k/100k/1M messages), pipeline, platform pulls, layer size, monthly report (10k groups)"
	@echo "make eval     score the auditor against hand-labelled real conversations (eval/corpora)"
	@echo "make schemas  regenerate docs/schemas/*.json from the models"
	@echo "make lock     re-resolve requirements.lock and the layer's shared/requirements.txt"
	@echo "make build    sam validate --lint, then sam build (the layer and the functions, into .aws-sam)"
	@echo "make lint     ruff, the import contract (lint-imports, docs/LAYOUT.md), then cfn-lint on template.yaml"
	@echo "make typecheck  mypy with the pydantic plugin over the package, the functions and the tests (pyproject.toml)"
	@echo "make clean    remove .venv, caches and .aws-sam (sam build output)"

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24,<27"
	$(PY) -m pip install --quiet --constraint $(LOCK) -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

# The single scheduled audit (kept as it was), then the month of the sample tenant
# (shared/groupaudit/local/demo_month.py); `groupaudit demo --no-month` runs the first only.
demo: setup
	$(VENV)/bin/groupaudit demo events/sample-tenant

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/cfn-lint template.yaml

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The files, plugins and strictness are pyproject.toml's [tool.mypy]; 0 errors is the bar.
typecheck: setup
	$(VENV)/bin/mypy

test: setup lint typecheck browser
	$(PY) -m pytest

# tests/browser opens the monthly report page in a headless Chromium (Debian's chromium, with
# fonts-noto-cjk for the Chinese). As root (CI containers) this installs both with apt-get; elsewhere
# it says what is missing, and tests/browser skip with that reason, unless CI is set: then they fail.
browser:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "$$CHROMIUM" ] \
	    || missing="chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	if [ -z "$$missing" ]; then \
	    echo "browser: $$(command -v chromium || command -v chromium-browser || echo $$CHROMIUM), CJK fonts present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	    echo "browser: missing$$missing and this is not root with apt-get: install them (or set CHROMIUM);" \
	         "tests/browser skip without chromium (fail when CI is set)"; \
	fi

# The pure-Python core alone: the engine, the rules, the policy and business time, with no
# moto, no local servers and no network; `make test` runs these too.
UNIT_TESTS := tests/rules tests/test_engine.py tests/test_policy.py tests/test_businesstime.py
unit: setup
	$(PY) -m pytest -q -p no:cacheprovider $(UNIT_TESTS)

# Mutation testing of the rules and the engine (pyproject.toml, [tool.mutmut]; docs/BENCHMARKS.md).
# mutmut takes a source root named src/, so the package is copied to a staging folder as
# src/groupaudit, beside links to the tests and the files they read. MUTANTS narrows the run to
# mutant names matching a glob, e.g. MUTANTS='groupaudit.rules.overdue_reply.*'; then
# `cd .mutate && ../.venv/bin/mutmut show NAME` prints a survivor's diff. The copy keeps its
# timestamps, so a rerun mutates again only the files that changed (rm -rf .mutate: from scratch).
MUTATE_DIR := .mutate
MUTANTS    ?=
MUTATE_JOBS ?= 2
mutate: setup
	rm -rf $(MUTATE_DIR)/src && mkdir -p $(MUTATE_DIR)/src
	cp -pR shared/groupaudit $(MUTATE_DIR)/src/groupaudit
	find $(MUTATE_DIR)/src -name __pycache__ -type d -prune -exec rm -rf {} +
	cp -p pyproject.toml $(MUTATE_DIR)/
	for d in tests events eval docs; do ln -sfn ../$$d $(MUTATE_DIR)/$$d; done
	cd $(MUTATE_DIR) && ../$(VENV)/bin/mutmut run --max-children $(MUTATE_JOBS) $(MUTANTS)
	$(PY) bench/mutation_score.py

schemas: setup
	$(PY) -m groupaudit.docs_gen
	$(PY) -m groupaudit.api.openapi

# The fault-injection suite (docs/RELIABILITY.md); `make test` runs it with one seed a scenario.
SEEDS ?= 3
chaos: setup
	$(PY) -m groupaudit.local.chaos --seeds $(SEEDS)

# The probe battery (docs/RELIABILITY.md, "Probes"); `make test` runs it too. Prints the totals
# and the refused-request timing of known and unknown tenants.
probes: setup
	$(PY) -m pytest tests/probes -q -p no:cacheprovider
	$(PY) bench/auth_timing.py

bench: setup
	$(PY) bench/run.py
	$(PY) bench/pipeline.py
	$(PY) bench/sources.py
	$(PY) bench/layer.py
	$(PY) bench/report.py

eval: setup
	$(PY) eval/run.py

# uv alone, so that a lock can be made before anything else is installed
$(UV):
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "uv>=0.13,<0.14"

lock: $(UV)
	$(UV) pip compile --quiet pyproject.toml --extra dev --universal --python-version 3.11 \
	    --custom-compile-command "make lock" --output-file $(LOCK)
	$(UV) pip compile --quiet pyproject.toml --constraint $(LOCK) \
	    --python-version $(LAYER_PYTHON) --python-platform aarch64-manylinux_2_34 \
	    $(addprefix --no-emit-package ,$(RUNTIME_PROVIDED)) \
	    --custom-compile-command "make lock" --output-file $(LAYER_REQUIREMENTS)

build: setup
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(VENV)/bin/sam validate --lint
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(VENV)/bin/sam build

# `sam build` runs these (template.yaml: BuildMethod makefile) with ARTIFACTS_DIR set, in a copy
# of the resource's folder; bench/layer.py and tests/test_layer.py run the layer's the same way.
# The layer: the pinned wheels for python3.13 arm64, installed without their dependencies (the
# pins are the whole set) and without .pyc files of this machine's Python, then the package
# without its development tools; less what nothing runs: type stubs, C sources, console
# scripts, and Powertools' Swagger UI assets (the API serves no Swagger UI).
build-GroupAuditLayer:
	$(ROOT)/$(PY) -m pip install -qq --no-deps --no-compile --only-binary=:all: \
	    --implementation cp --python-version $(LAYER_PYTHON) $(addprefix --platform ,$(LAYER_PLATFORMS)) \
	    --target "$(ARTIFACTS_DIR)/python" --requirement "$(ROOT)/$(LAYER_REQUIREMENTS)"
	cp -R "$(ROOT)/shared/groupaudit" "$(ARTIFACTS_DIR)/python/groupaudit"
	rm -rf $(addprefix "$(ARTIFACTS_DIR)/python/,$(addsuffix ",$(LAYER_EXCLUDES))) \
	    "$(ARTIFACTS_DIR)/python/bin" "$(ARTIFACTS_DIR)/python/aws_lambda_powertools/event_handler/openapi/swagger_ui/"swagger-ui*
	find "$(ARTIFACTS_DIR)/python" -depth -type d \( -name __pycache__ -o -name "*-stubs" \) -exec rm -rf {} +
	find "$(ARTIFACTS_DIR)/python" -type f \( -name "*.pyi" -o -name py.typed -o -name "*.c" -o -name "*.h" \
	    -o -name "*.cpp" -o -name "*.pyx" -o -name "*.pxd" \) -delete

# A function is its handler.py alone (its code and dependencies come from the layer).
build-SchedulerFunction build-AuditWorkerFunction build-NotifierFunction build-ApiFunction build-ReporterFunction:
	cp handler.py "$(ARTIFACTS_DIR)/handler.py"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .bench .aws-sam .mutate .demo
