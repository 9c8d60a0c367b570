# The two commands a newcomer needs: `make install`, then `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint bench serve

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# The checkout is installed editable: compile it once, as installing the wheel does, or
	# every start under PYTHONDONTWRITEBYTECODE=1 compiles it from source.
	$(BIN)/python -m compileall -q bot flows storage

test:
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy flows storage
	$(BIN)/pytest

lint:
	$(BIN)/ruff check .

# Every table of bench/README.md, small sizes (a few minutes). BENCH_FLAGS= for full sizes.
BENCH_FLAGS ?= --small

bench:
	$(BIN)/python bench/ack.py $(BENCH_FLAGS)
	$(BIN)/python bench/render.py
	$(BIN)/python bench/sweep.py $(BENCH_FLAGS)
	$(BIN)/python bench/startup.py $(BENCH_FLAGS)
	$(BIN)/python bench/home.py

serve:
	$(BIN)/postmortem-bot serve
