"""The workflow on a real single-node SLURM (started by the test) through `--profile profiles/slurm`:
every job is an sbatch job, the GPU rule (the judge, Gemma on this CPU) lands in the gpu partition
with a GPU requested, CPU rules in the cpu partition without one, and the logs are where the README
says. Skipped, with the reason, where SLURM cannot start (not root, slurm-wlm not installed)."""

import re
import subprocess
import sys

import pytest
from conftest import REPO, Workflow, base_overlay
from seedutil import STDLIB
from slurmutil import LocalSlurm, Unavailable

from codealign import io
from codealign.report import provenance

pytestmark = pytest.mark.e2e

GPU_RULES = {"seeds_judge"}


@pytest.fixture
def slurm(tmp_path):
    cluster = LocalSlurm(tmp_path / "slurm")
    try:
        cluster.start()
    except Unavailable as why:
        cluster.stop()
        pytest.skip(f"no local SLURM: {why}")
    yield cluster
    cluster.stop()


def test_a_small_dag_runs_as_slurm_jobs_with_gpus_where_rules_ask(tmp_path, slurm, gemma_model, benchmarks_available):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "operator.py").write_text((STDLIB / "operator.py").read_text())
    wf = Workflow(tmp_path / "run")
    wf.workdir.mkdir()
    config = wf.write_config(
        {
            **base_overlay(),
            "models": {"base": str(gemma_model)},
            "seeds": {
                "corpus": {"sources": [{"kind": "files", "paths": [str(corpus)]}]},
                "filters": {"typecheck": {"enabled": False}},
                "judge": {"max_seeds": 2, "k": 1, "apply": False},
            },
        }
    )
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        str(wf.workdir),
        "--profile",
        str(REPO / "profiles" / "slurm"),
        "--slurm-partition-config",
        str(REPO / "profiles" / "slurm" / "partitions.yaml"),  # the profile's path is relative to the checkout
        "--slurm-no-account",
        "--slurm-init-seconds-before-status-checks",
        "1",
        "--max-threads",
        "2",
        "--default-resources",
        "mem_mb=1000",
        "cpus_per_task=1",
        "runtime=30",
        "--configfile",
        str(config),
        "--",
        "results/default/seeds/funnel.json",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-6000:]

    submitted = dict(re.findall(r"Job \d+ has been submitted with SLURM jobid (\d+) \(log: .*/rule_(\w+)/", proc.stderr))
    rules = {rule: [j for j, r in submitted.items() if r == rule] for rule in set(submitted.values())}
    assert set(rules) == {
        "seeds_corpus",
        "seeds_extract",
        "seeds_filter",
        "seeds_signatures",
        "seeds_dedup",
        "seeds_decontaminate",
        "seeds_judge",
        "seeds_judge_gather",
        "seeds_funnel",
    }
    for job_id, rule in submitted.items():
        job = slurm.job(job_id)
        assert job["JobState"] == "COMPLETED", (rule, job)
        gpus = job.get("TresPerJob", "") + job.get("TresPerNode", "")
        if rule in GPU_RULES:
            assert job["Partition"] == "gpu" and "gres:gpu:1" in gpus, (rule, job)
        else:
            assert job["Partition"] == "cpu" and "gpu" not in gpus, (rule, job)

    # logs: one SLURM log per job under results/slurm-logs/, the rule's own log under results/<experiment>/logs/
    for job_id, rule in submitted.items():
        assert list(wf.path("results/slurm-logs").glob(f"rule_{rule}/*/{job_id}.log")), rule
    assert wf.path("results/default/logs/seeds_judge/shard-0.log").read_text().strip()
    assert wf.path("results/default/logs/seeds_funnel.log").exists()
    assert io.read_json(wf.path("results/default/seeds/funnel.json"))["seeds"] == 2
    # the provenance record finds the cluster's job ids
    assert set(provenance.cluster_jobs(str(wf.workdir))) == set(submitted)
