import os
import re
import sys

from snakemake.exceptions import WorkflowError

# Every job — local, on SLURM, in a conda env — imports the codealign package from this checkout.
_SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, _SRC)
os.environ.update(PYTHONPATH=os.pathsep.join(p for p in (_SRC, os.getenv("PYTHONPATH")) if p))

from codealign import config as cfglib
from codealign.generation.models import packaged
from codealign.workflow import code_version, owner

try:
    cfglib.validate(config)
    cfglib.check_paths(config)
    EXPERIMENTS = cfglib.experiment_configs(config)
except cfglib.ConfigError as err:
    raise WorkflowError(str(err))


PACKAGED_MODELS = sorted({name for cfg in EXPERIMENTS.values() for name, source in cfg["models"].items() if packaged(source)})


wildcard_constraints:
    experiment="|".join(re.escape(name) for name in EXPERIMENTS),
    shard=r"\d+",
    model="|".join(re.escape(name) for name in PACKAGED_MODELS) or "^$",


def section(dotted):
    """Param function: config section `dotted` of the job's experiment."""

    def params(wildcards):
        return cfglib.get(EXPERIMENTS[wildcards.experiment], dotted)

    return params


def upstream(stage, path):
    """Input function: `path` in the directory of the experiment that owns `stage`'s output."""

    def inputs(wildcards):
        return path.format(**{**dict(wildcards.items()), "experiment": owner(EXPERIMENTS, wildcards.experiment, stage)})

    return inputs


def model_source(wildcards):
    """Param function: the config entry (gguf:<package>) of the model a model_prepare job converts."""
    return config["models"][wildcards.model]


def model_input(dotted):
    """Input function: the local model folder the stage `dotted` generates with (none for a hub id)."""

    def inputs(wildcards):
        cfg = EXPERIMENTS[wildcards.experiment]
        name = cfglib.get(cfg, dotted)["model"]
        source = cfg["models"][name]
        if packaged(source):
            return f"results/models/{name}"
        return source if os.path.exists(source) else []

    return inputs


def shard_paths(dotted, path):
    """Input function: `path` for every shard of the stage `dotted` (its `shards` key) of the job's experiment."""

    def inputs(wildcards):
        stage = cfglib.get(EXPERIMENTS[wildcards.experiment], dotted)
        if not stage.get("enabled", True):
            return []
        return [path.format(experiment=wildcards.experiment, shard=k) for k in range(stage["shards"])]

    return inputs


def n_shards(dotted):
    def params(wildcards):
        return cfglib.get(EXPERIMENTS[wildcards.experiment], dotted)["shards"]

    return params


def final(stage, path):
    """`path` for every experiment, each in the directory that owns it (shared outputs once)."""
    return sorted({path.format(experiment=owner(EXPERIMENTS, name, stage)) for name in EXPERIMENTS})


def final_targets():
    return final("seeds_funnel", "results/{experiment}/seeds/funnel.json") + final(
        "instruct_instructions_gather", "results/{experiment}/instruct/instructions.parquet"
    )


def instruction_inputs(wildcards):
    """C→I reads the gathered concepts; S→I (instruct.mode: seed) reads the judged seeds."""
    if EXPERIMENTS[wildcards.experiment]["instruct"]["mode"] == "concepts":
        return upstream("instruct_concepts_gather", "results/{experiment}/instruct/concepts.parquet")(wildcards)
    return upstream("seeds_judge_gather", "results/{experiment}/seeds/judged.parquet")(wildcards)
