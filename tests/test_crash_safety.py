"""Crash safety of the whole workflow: SIGKILL the Snakemake process group in the middle of a
generation stage (responses, real Gemma 3 270M) and of an execution stage (the sandbox), then
unlock and rerun as the README says; the outputs equal those of an uninterrupted run."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import REPO, Workflow, base_overlay
from seedutil import STDLIB

from codealign import io
from codealign.records import Response, schema

pytestmark = pytest.mark.e2e


def overlay(gemma, corpus_dir):
    return {
        **base_overlay(),
        "models": {"base": str(gemma)},
        "generation": {**base_overlay()["generation"], "transformers": {"batch_size": 1}},  # one request per resumable chunk
        "seeds": {
            "corpus": {"sources": [{"kind": "files", "paths": [str(corpus_dir)]}]},
            "judge": {"max_seeds": 3, "k": 2, "apply": False},
        },
        "instruct": {"mode": "seed", "instructions": {"k": 2, "max_new_tokens": 64}},
        "responses": {"backend": "transformers", "k": 1, "n": 2, "max_new_tokens": 96},
        "execution": {"timeout_s": 5, "memory_mb": 512},
        "codeocean": {"build": False},
    }


def snakemake_cmd(wf, target, config, *extra):
    return [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(wf.workdir),
        "--cores",
        "2",
        target,
        *extra,
        "--configfile",
        str(config),
    ]


def kill_when(wf, target, config, ready, timeout=600):
    """Start the workflow, SIGKILL its whole process group once ``ready()``; return the killed process."""
    proc = subprocess.Popen(snakemake_cmd(wf, target, config), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and not ready():
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the workflow finished before it could be killed"
    return proc


def rerun(wf, target, config):
    subprocess.run(snakemake_cmd(wf, target, config, "--unlock"), check=True, capture_output=True)
    return subprocess.run(snakemake_cmd(wf, target, config, "--rerun-incomplete"), check=True, capture_output=True, text=True)


def lines(path):
    return len(open(path).readlines()) if os.path.exists(path) else 0


def copy_run(src: Workflow, dst) -> Workflow:
    shutil.copytree(src.workdir, dst, symlinks=True)  # data, mtimes and .snakemake metadata
    return Workflow(dst)


def without_durations(rows):
    return [{k: v for k, v in r.items() if k != "duration_s"} for r in rows]


def test_killing_the_workflow_mid_generation_and_mid_execution(tmp_path, gemma_model, benchmarks_available):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(STDLIB / "operator.py", corpus / "operator.py")
    base = Workflow(tmp_path / "base")
    base.workdir.mkdir()
    config = base.write_config(overlay(gemma_model, corpus))
    base.run("results/default/instruct/instructions.parquet", config=config)
    n_instructions = len(io.read_rows(base.path("results/default/instruct/instructions.parquet")))
    assert n_instructions >= 2

    # --- generation: the responses shard, killed after its cache holds some requests
    whole, killed = copy_run(base, tmp_path / "whole"), copy_run(base, tmp_path / "killed")
    whole.run("results/default/responses/responses.parquet", config=config)
    cache = killed.path("results/default/responses/cache/shard-0-of-1.jsonl")
    kill_when(killed, "results/default/responses/responses.parquet", config, lambda: lines(cache) >= 1)
    done = lines(cache)
    assert 1 <= done < n_instructions and not killed.path("results/default/responses/responses.parquet").exists()
    rerun(killed, "results/default/responses/responses.parquet", config)
    stats = io.read_json(killed.path("results/default/responses/shard-0.stats.json"))
    assert stats["generation"]["cached"] == done and stats["generation"]["generated"] == n_instructions - done
    assert io.read_rows(killed.path("results/default/responses/responses.parquet")) == io.read_rows(
        whole.path("results/default/responses/responses.parquet")
    )

    # --- execution: programs that take a while, so the kill lands inside the sandbox stage
    slow = [
        Response(
            f"r{i:03d}",
            f"i{i % 7}",
            "s",
            i,
            "x",
            "x",
            f"import time\ntime.sleep(0.25)\nx = {i}",
            f"assert x == {i if i % 3 else -1}",
            1,
            1,
            "m",
        ).__dict__
        for i in range(80)
    ]
    for wf in (whole, killed):
        shard = wf.path("results/default/responses/shard-0.parquet")
        stamp = os.stat(shard).st_mtime_ns
        io.write_rows(shard, slow, schema(Response))  # same place, same age: Snakemake sees nothing to redo upstream
        os.utime(shard, ns=(stamp, stamp))
    whole.run("results/default/execution/execution.parquet", config=config)
    log = killed.path("results/default/logs/execution/shard-0.log")
    kill_when(
        killed, "results/default/execution/execution.parquet", config, lambda: "sandbox:" in (log.read_text() if log.exists() else "")
    )
    time.sleep(0.5)
    assert not killed.path("results/default/execution/shard-0.parquet").exists()
    rerun(killed, "results/default/execution/execution.parquet", config)
    verdicts = io.read_rows(killed.path("results/default/execution/execution.parquet"))
    assert without_durations(verdicts) == without_durations(io.read_rows(whole.path("results/default/execution/execution.parquet")))
    assert [v["status"] for v in verdicts] == ["pass" if i % 3 else "fail" for i in range(80)]
