# The two commands (see README): `make run` and `make test`. Both set everything up first and are
# idempotent: set-up re-runs only when pyproject.toml or the set-up script change.
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.setup-done
EXTRAS  ?= dev

.PHONY: run test setup lint typecheck unit bench discord doctor clean-venv

$(STAMP): pyproject.toml scripts/setup.sh scripts/system-packages.txt
	VENV=$(VENV) EXTRAS=$(EXTRAS) bash scripts/setup.sh
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/interview-bot console

discord: setup
	$(BIN)/interview-bot discord

doctor: setup
	$(BIN)/interview-bot doctor

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest

test: lint typecheck unit

bench: setup
	$(BIN)/python bench/engine_latency.py

clean-venv:
	rm -rf $(VENV)
