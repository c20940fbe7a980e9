# Doorstep — the two commands: `make run` (the platform, locally) and `make test` (the suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run demo test test-fast faults lint format bench profile clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run broker + case-api + notifier + scheduler on SQLite under ./var (Ctrl-C stops all).
run: install
	$(BIN)/python -m doorstep_local run

## Post sample overdue accounts and print their case timelines.
demo: install
	$(BIN)/python -m doorstep_local demo

## The whole test suite (real PostgreSQL at 127.0.0.1:5432, real local broker).
test: install
	$(BIN)/python -m pytest

## Everything except the slow end-to-end and fault scenarios.
test-fast: install
	$(BIN)/python -m pytest -m "not e2e and not faults"

## The fault scenarios at the sizes issue 8 names (the suite runs them reduced); ~20 minutes.
faults: install
	DOORSTEP_FAULTS=full $(BIN)/python -m pytest -m faults --timeout 3600 tests/faults tests/shared

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Benchmarks (not tests), each against its baseline in the same run; results in
## benchmarks/results/*.json, figures in the README. About 45 minutes in all.
bench: install
	$(BIN)/python -m benchmarks.ingest.run --records 100000 --per-request 10000 --load-seconds 90
	$(BIN)/python -m benchmarks.single_put.run --concurrency 16 --warmup 5 --duration 20 \
		--serial-duration 10 --rounds 4
	$(BIN)/python -m benchmarks.pipeline.run --accounts 50000 --steady-minutes 10
	$(BIN)/python -m benchmarks.planning.run --visits 2000 --teams 100 --days 5 --seed 1 \
		--budget 8 --reference 120

## Where case-api's time goes under the single-PUT load (pyinstrument summary in results/).
profile: install
	$(BIN)/python -m benchmarks.single_put.run --profile

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
