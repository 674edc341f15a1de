# Kiemke: `make run` starts a local server with this machine's agent; `make test` runs everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: run test lint format clean schema

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

run: $(STAMP)
	@./scripts/run.sh

test: $(STAMP)
	@./scripts/test.sh

lint: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .

format: $(STAMP)
	@$(BIN)/ruff format .

schema: $(STAMP)
	@$(BIN)/python -m agent.schema > schema/report.schema.json

clean:
	rm -rf $(VENV) var build dist *.egg-info
