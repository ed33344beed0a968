# The two set-up commands of the README, and the steps they are made of.
#   make demo   build dist/aws-wif-helper and run it end to end on local stand-ins
#   make test   lint, type-check and run the whole test suite (what .ci/run calls)

# Debian's own Python: its extension modules carry no RUNPATH, which the
# portable build needs (build/README.md).
PYTHON_FOR_VENV ?= /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
NODE_CLIENT := tests/clients/node

.PHONY: demo test build venv node lint portability

venv: $(VENV)/.installed
$(VENV)/.installed: requirements/runtime.txt requirements/dev.txt requirements/lock.txt pyproject.toml
	$(PYTHON_FOR_VENV) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt -c requirements/lock.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

node: $(NODE_CLIENT)/node_modules/.installed
$(NODE_CLIENT)/node_modules/.installed: $(NODE_CLIENT)/package.json $(NODE_CLIENT)/package-lock.json
	cd $(NODE_CLIENT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

build: venv
	bash build/build.sh

demo: build
	$(PY) -m tests.demo

# The binary on Debian 11 (glibc 2.31) and in a root without any C library (as root).
portability: build
	bash build/check-portability.sh

lint: venv
	$(VENV)/bin/ruff check helper tests build
	$(VENV)/bin/ruff format --check helper tests build
	$(VENV)/bin/mypy

test: venv node build lint
	$(PY) -m pytest
	bash build/check-portability.sh
