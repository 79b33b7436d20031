"""Every rule declares what its job needs, within what the SLURM profile gives a job, and more on a retry."""

import re

import pytest
import rulesutil
import yaml
from conftest import REPO, Workflow
from test_paper_contract import workdir_with_benchmarks

from codealign.workflow import grow

PROFILE = yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())["default-resources"]
GPU_RULES = {
    "seeds_judge",
    "instruct_concepts",
    "instruct_instructions",
    "responses",
    "codeocean_embed",
    "codeocean_generate",
    "train",
    "eval_generate",
}


def rule_blocks():
    return [(name, block) for name, block in rulesutil.rule_blocks().items() if name != "figures"]  # a target, not a job


def test_a_retry_gets_more():
    assert [grow(4000)(None, attempt) for attempt in (1, 2, 3)] == [4000, 8000, 12000]


@pytest.mark.parametrize("name,block", list(rule_blocks()), ids=lambda v: v if isinstance(v, str) and "\n" not in v else "")
def test_every_rule_declares_memory_and_time_that_grow_with_attempt(name, block):
    resources = block.split("    resources:\n", 1)[1] if "    resources:\n" in block else ""
    assert re.search(r"^\s+mem_mb=(grow\(\d+\)|sandbox_mem_mb),$", resources, re.M), f"{name}: no mem_mb growing with attempt"
    assert re.search(r"^\s+runtime=grow\(\d+\),$", resources, re.M), f"{name}: no runtime growing with attempt"
    threads = re.search(r"^    threads: (\S+)$", block, re.M)
    assert threads is None or threads.group(1) in ("JOB_THREADS", "SANDBOX_THREADS") or int(threads.group(1)) <= PROFILE["cpus_per_task"], (
        name
    )


def test_the_rules_thread_ceiling_is_what_the_profile_gives_a_job():
    common = (REPO / "rules/common.smk").read_text()
    assert re.search(r"^JOB_THREADS = (\d+)", common, re.M).group(1) == str(PROFILE["cpus_per_task"])


def test_every_paper_job_fits_a_cluster_job(tmp_path):
    """The paper DAG, as Snakemake resolves each job's resources: CPU jobs within the profile's
    16 GB and 4 h, no job asking for more threads than its job gets; the seed stage sharded."""
    run = workdir_with_benchmarks(tmp_path)
    proc = Workflow(run).run("-n", "--cores", str(PROFILE["cpus_per_task"]), "--configfile", str(REPO / "config/paper.yaml"))
    jobs = re.findall(r"^(?:local)?rule (\w+):\n((?:    .*\n)+)", proc.stdout, re.M)
    counts = {}
    for name, body in jobs:
        counts[name] = counts.get(name, 0) + 1
        res = dict(re.findall(r"(\w+)=([^,\s]+)", re.search(r"resources: (.*)", body).group(1))) if "resources:" in body else {}
        threads = int(re.search(r"threads: (\d+)", body).group(1)) if "threads:" in body else 1
        assert threads <= PROFILE["cpus_per_task"], (name, threads)
        if name in ("all", "figures"):
            continue
        assert "mem_mb" in res and "runtime" in res, (name, res)
        if name not in GPU_RULES:
            assert int(res["mem_mb"]) <= PROFILE["mem_mb"] and int(res["runtime"]) <= PROFILE["runtime"], (name, res)
    assert counts["seeds_extract"] == counts["seeds_filter"] == counts["seeds_signatures"] == 64
    assert counts["seeds_dedup"] == 1 and counts["responses"] == counts["execution"] == 256
