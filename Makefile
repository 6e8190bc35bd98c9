# The two commands a newcomer needs: `make run` (the demo) and `make test` (the suite).
# Both create .venv with the system python3 and install the project into it first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

# Tests run on every core (pytest-xdist): each test has its own database file or schema,
# its own ports and its own Redis channel prefix. test-fast leaves out what drives
# Chromium or starts other server processes.
PYTEST_WORKERS ?= auto

.PHONY: run test test-fast lint format bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	SIDETALK_DEMO=1 PORT=$(PORT) $(BIN)/sidetalk serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not browser and not processes"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/inbox_list.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
