import os
import re
import sys

from snakemake.exceptions import WorkflowError

# Every job — local, on SLURM, in a conda env — imports the codealign package from this checkout.
_SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, _SRC)
os.environ.update(PYTHONPATH=os.pathsep.join(p for p in (_SRC, os.getenv("PYTHONPATH")) if p))

from codealign import config as cfglib
from codealign.workflow import code_version, owner

try:
    cfglib.validate(config)
    cfglib.check_paths(config)
    EXPERIMENTS = cfglib.experiment_configs(config)
except cfglib.ConfigError as err:
    raise WorkflowError(str(err))


wildcard_constraints:
    experiment="|".join(re.escape(name) for name in EXPERIMENTS),
    shard=r"\d+",


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


def final(stage, path):
    """`path` for every experiment, each in the directory that owns it (shared outputs once)."""
    return sorted({path.format(experiment=owner(EXPERIMENTS, name, stage)) for name in EXPERIMENTS})


def final_targets():
    return final("seeds_funnel", "results/{experiment}/seeds/funnel.json")
