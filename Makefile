# kmmodel — two commands: `make report` and `make test` (each sets everything up).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.kmmodel-installed

.PHONY: setup report test test-fast lint format bench data-check clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,distributed]"
	@touch $(STAMP)

setup: $(STAMP)  ## create .venv and install kmmodel with its dependencies

report: setup  ## run every notebook and write HTML reports to reports/
	$(BIN)/kmmodel report

test: setup  ## the whole test suite
	$(BIN)/python -m pytest

test-fast: setup  ## tests without notebook runs and long simulations
	$(BIN)/python -m pytest -m "not slow"

lint: setup
	$(BIN)/ruff check kmmodel tests benchmarks
	$(BIN)/ruff format --check kmmodel tests benchmarks

format: setup
	$(BIN)/ruff format kmmodel tests benchmarks
	$(BIN)/ruff check --fix kmmodel tests benchmarks

bench: setup  ## every benchmark; table printed and written to reports/benchmarks.md
	$(BIN)/python -m benchmarks

data-check: setup  ## shipped synthetic files equal what their generators make
	$(BIN)/kmmodel data --check

clean:
	rm -rf reports .pytest_cache .hypothesis
