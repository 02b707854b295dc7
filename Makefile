# One entry point for every chore. `make demo` and `make test` work on a fresh clone:
# they create .venv and install what they need first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help setup demo test lint format schemas bench eval clean

help:
	@echo "make demo     scheduled audit of the sample tenant through the pipeline on a local moto server"
	@echo "make test     lint + the whole test suite"
	@echo "make bench    benchmarks: engine (10k/100k/1M messages), pipeline, platform pulls"
	@echo "make eval     score the auditor against hand-labelled real conversations (eval/corpora)"
	@echo "make schemas  regenerate docs/schemas/*.json from the models"
	@echo "make lint     ruff, then cfn-lint on template.yaml"
	@echo "make clean    remove .venv, caches and .aws-sam (sam build output)"

$(STAMP): pyproject.toml shared/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24,<27"
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/groupaudit demo events/sample-tenant

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint template.yaml

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: setup lint
	$(PY) -m pytest

schemas: setup
	$(PY) -m groupaudit.docs_gen
	$(PY) -m groupaudit.pipeline.openapi

bench: setup
	$(PY) bench/run.py
	$(PY) bench/pipeline.py
	$(PY) bench/sources.py

eval: setup
	$(PY) eval/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .bench .aws-sam
