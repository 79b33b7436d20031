import os
import re
import sys

from snakemake.exceptions import WorkflowError

# Every job — local, on SLURM, in a conda env — imports the codealign package from this checkout.
_SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, _SRC)
os.environ.update(PYTHONPATH=os.pathsep.join(p for p in (_SRC, os.getenv("PYTHONPATH")) if p))

from codealign import config as cfglib
from codealign import datacard
from codealign import preflight
from codealign.evaluate import suites
from codealign.generation.models import packaged
from codealign.workflow import code_version, grow, owner

try:
    cfglib.validate(config)
    cfglib.check_paths(config)
    EXPERIMENTS = cfglib.experiment_configs(config)
    preflight.check_runnable(EXPERIMENTS, local=workflow.local_exec)
except (cfglib.ConfigError, ValueError) as err:
    raise WorkflowError(str(err))


PACKAGED_MODELS = sorted({name for cfg in EXPERIMENTS.values() for name, source in cfg["models"].items() if packaged(source)})


wildcard_constraints:
    experiment="|".join(re.escape(name) for name in EXPERIMENTS),
    shard=r"\d+",
    packaged="|".join(re.escape(name) for name in PACKAGED_MODELS) or "^$",
    model="|".join(sorted({re.escape(m) for cfg in EXPERIMENTS.values() for m in cfg["eval"]["models"]})),
    benchmark="humanevalplus|mbppplus|livecodebench|ds1000",


def experiment_config(wildcards):
    """Param function: the whole effective, validated config of the job's experiment."""
    return EXPERIMENTS[wildcards.experiment]


def section(dotted, keys=None):
    """Param function: config section `dotted` of the job's experiment (only `keys` of it, when
    given: a rule reruns when what it reads changes, not the rest of the section)."""

    def params(wildcards):
        value = cfglib.get(EXPERIMENTS[wildcards.experiment], dotted)
        return {k: value[k] for k in keys} if keys else value

    return params


def upstream(stage, path):
    """Input function: `path` in the directory of the experiment that owns `stage`'s output."""

    def inputs(wildcards):
        return path.format(**{**dict(wildcards.items()), "experiment": owner(EXPERIMENTS, wildcards.experiment, stage)})

    return inputs


def model_source(wildcards):
    """Param function: the config entry (gguf:<package>) of the model a model_prepare job converts."""
    return config["models"][wildcards.packaged]


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


def bank_input(dotted):
    """Input function: the few-shot bank file of the stage `dotted`, when the config names one (the
    shipped banks are part of the stage's code version)."""

    def inputs(wildcards):
        bank = cfglib.get(EXPERIMENTS[wildcards.experiment], dotted)["fewshot_bank"]
        return [bank] if bank else []

    return inputs


def shard_paths(dotted, path, stage=None):
    """Input function: `path` for every shard of the stage `dotted` (its `shards` key) of the job's
    experiment — in the directory of the experiment that owns rule `stage`'s output, when given."""

    def inputs(wildcards):
        section = cfglib.get(EXPERIMENTS[wildcards.experiment], dotted)
        if not section.get("enabled", True):
            return []
        experiment = owner(EXPERIMENTS, wildcards.experiment, stage) if stage else wildcards.experiment
        return [path.format(experiment=experiment, shard=k) for k in range(section["shards"])]

    return inputs


def cache_journal(dotted, folder):
    """Param function: the job's journal in the stage's cache folder, named by its shard *and* the
    number of shards (the cache is keyed by content: a re-sharded job reads every file there)."""

    def params(wildcards):
        n = cfglib.get(EXPERIMENTS[wildcards.experiment], dotted)["shards"]
        return f"{folder.format(**dict(wildcards.items()))}/shard-{wildcards.shard}-of-{n}.jsonl"

    return params


def n_shards(dotted):
    def params(wildcards):
        return cfglib.get(EXPERIMENTS[wildcards.experiment], dotted)["shards"]

    return params


def final(stage, path):
    """`path` for every experiment, each in the directory that owns it (shared outputs once)."""
    return sorted({path.format(experiment=owner(EXPERIMENTS, name, stage)) for name in EXPERIMENTS})


def final_targets():
    codeocean = [name for name, cfg in EXPERIMENTS.items() if cfg["codeocean"]["build"]]
    return (
        final("seeds_funnel", rules.seeds_funnel.output.funnel)
        + final("selection", rules.selection.output.dataset)
        + sorted({f"results/{owner(EXPERIMENTS, name, 'codeocean_sft')}/codeocean/sft/dataset.parquet" for name in codeocean})
        + final("eval_report", rules.eval_report.output.json)
        + figure_targets()
    )


def model_folder(experiment, name):
    """Where model `name` of an experiment lives: the experiment's checkpoint for 'tuned'."""
    if name == "tuned":
        return f"results/{owner(EXPERIMENTS, experiment, 'train')}/train/checkpoint"
    source = EXPERIMENTS[experiment]["models"][name]
    return f"results/models/{name}" if packaged(source) else source


def train_inputs(wildcards):
    """The SFT sets train.mix gives weight, and the model to fine-tune."""
    cfg = EXPERIMENTS[wildcards.experiment]
    inputs = {}
    if cfg["train"]["mix"]["selfalign"] > 0:
        inputs["selfalign"] = upstream("selection", rules.selection.output.dataset)(wildcards)
    if cfg["train"]["mix"]["codeocean"] > 0:
        inputs["codeocean"] = upstream("codeocean_sft", rules.codeocean_sft.output.dataset)(wildcards)
    name = cfg["train"]["model"]
    folder = model_folder(wildcards.experiment, name)
    if packaged(cfg["models"][name]) or os.path.exists(folder):
        inputs["model"] = folder
    return inputs


def eval_stage(model):
    return "eval_tuned" if model == "tuned" else "eval_base"


def eval_model_input(wildcards):
    folder = model_folder(wildcards.experiment, wildcards.model)
    if wildcards.model == "tuned" or packaged(EXPERIMENTS[wildcards.experiment]["models"][wildcards.model]) or os.path.exists(folder):
        return folder
    return []


def eval_samples(wildcards):
    return upstream(eval_stage(wildcards.model), rules.eval_generate.output.samples)(wildcards)


def eval_report_inputs(wildcards):
    cfg = EXPERIMENTS[wildcards.experiment]
    inputs = {"scores": []}
    for benchmark in cfg["eval"]["benchmarks"]:
        for model in cfg["eval"]["models"]:
            stage = "eval_score_tuned" if model == "tuned" else "eval_score_base"
            path = f"results/{{experiment}}/eval/{benchmark}/{model}/scores.json"
            inputs["scores"].append(upstream(stage, path)(wildcards))
    if "tuned" in cfg["eval"]["models"]:
        inputs["training_log"] = upstream("train", rules.train.output.log)(wildcards)
    return inputs


def decontamination_files(wildcards):
    """Input function: the benchmark and extra files decontamination searches (package files aside)."""
    from codealign.algorithms.decontamination import benchmark_names

    cfg = EXPERIMENTS[wildcards.experiment]
    names = benchmark_names(cfg["seeds"]["decontamination"], cfg["benchmarks"])
    files = [cfg["benchmarks"][name] for name in names] + [e["path"] for e in cfg["seeds"]["decontamination"]["extra"]]
    return sorted({f for f in files if not f.startswith("package:")})


JOB_THREADS = 4  # the most threads any job asks for (profiles/slurm gives each job cpus_per_task 4)
SANDBOX_THREADS = JOB_THREADS  # threads of a sandbox job; with execution.workers null, one worker each

SANDBOX_OVERHEAD_MB = 2048  # the job's own Python, the workers' warm interpreters, page cache


def sandbox_mem_mb(wildcards, attempt):
    """Resource: a sandbox job's memory — every worker running a program at its memory limit at
    once — and more on a retry. (Counted from the rule's threads, not the ones a local run may
    cap them to: declaring more than a capped run uses is harmless.)"""
    execution = EXPERIMENTS[wildcards.experiment]["execution"]
    workers = execution["workers"] or SANDBOX_THREADS
    return (workers * execution["memory_mb"] + SANDBOX_OVERHEAD_MB) * attempt


def time_limits(wildcards):
    """Param function: the scored benchmark's time limits (eval.evalplus, eval.livecodebench, eval.ds1000)."""
    return suites.time_limits(EXPERIMENTS[wildcards.experiment], dict(wildcards.items()))


def benchmark_path(wildcards):
    return EXPERIMENTS[wildcards.experiment]["benchmarks"][wildcards.benchmark]


def sft_provenance(wildcards):
    """Param function: the config sections that shaped an experiment's SFT set (for its dataset card)."""
    return datacard.selfalign_provenance(EXPERIMENTS[wildcards.experiment], dict(wildcards.items()))


def instruction_inputs(wildcards):
    """C→I reads the gathered concepts; S→I (instruct.mode: seed) reads the judged seeds."""
    if EXPERIMENTS[wildcards.experiment]["instruct"]["mode"] == "concepts":
        return upstream("instruct_concepts_gather", rules.instruct_concepts_gather.output.concepts)(wildcards)
    return upstream("seeds_judge_gather", rules.seeds_judge_gather.output.judged)(wildcards)


def codeocean_provenance(wildcards):
    """Param function: the config sections that shaped an experiment's CodeOcean set (for its dataset card)."""
    return datacard.codeocean_provenance(EXPERIMENTS[wildcards.experiment], dict(wildcards.items()))


def timing_dirs(wildcards):
    """Param function: per rule, the experiment directories holding its timing tables (its `benchmark:` files)."""
    from codealign.workflow import RULE_STAGES, STAGES

    rules = {stage: (stage,) for stage in STAGES}
    for rule, stages in RULE_STAGES.items():
        rules[rule] = stages
    return {rule: sorted({f"results/{owner(EXPERIMENTS, wildcards.experiment, s)}" for s in stages}) for rule, stages in rules.items()}


def ablation_inputs(wildcards):
    """Every experiment's SFT stats and scores, from the directories that own them."""
    inputs = {}
    for name in EXPERIMENTS:
        inputs[f"{name}__sft"] = f"results/{owner(EXPERIMENTS, name, 'selection')}/sft/stats.json"
        inputs[f"{name}__scores"] = f"results/{owner(EXPERIMENTS, name, 'eval_report')}/eval/scores.json"
    return inputs


def provenance_inputs(wildcards):
    """The data an experiment's results rest on and the results themselves: hashed into its provenance."""
    cfg = EXPERIMENTS[wildcards.experiment]
    inputs = {f"benchmark_{name}": path for name, path in cfg["benchmarks"].items() if path and not path.startswith("package:")}
    inputs["sft"] = upstream("selection", rules.selection.output.dataset)(wildcards)
    inputs["scores"] = upstream("eval_report", rules.eval_report.output.json)(wildcards)
    inputs["execution_stats"] = upstream("execution_gather", rules.execution_gather.output.stats)(wildcards)
    if cfg["codeocean"]["build"] or cfg["train"]["mix"]["codeocean"] > 0:
        inputs["codeocean_sft"] = upstream("codeocean_sft", rules.codeocean_sft.output.dataset)(wildcards)
    return inputs


def provenance_models(wildcards):
    """Param function: name -> local folder of every model the experiment used (the tuned checkpoint included)."""
    cfg = EXPERIMENTS[wildcards.experiment]
    return {name: model_folder(wildcards.experiment, name) for name in sorted(set(cfg["models"]) | {"tuned"})}


def figure_targets():
    """Every figure and provenance record of every experiment (shared outputs once)."""
    targets = final("figures_selfalign", rules.figures_selfalign.output.funnel)
    targets += sorted(
        {
            f"results/{owner(EXPERIMENTS, name, 'codeocean_gather')}/figures/codeocean.png"
            for name, cfg in EXPERIMENTS.items()
            if cfg["codeocean"]["build"]
        }
    )
    targets += [f"results/{name}/provenance.json" for name in EXPERIMENTS]
    targets += [f"results/{name}/report/browser.html" for name in EXPERIMENTS]
    targets += [f"results/{name}/config.json" for name in EXPERIMENTS]
    if len(EXPERIMENTS) > 1:
        targets.append(rules.figures_ablations.output[0])
    return targets


def browser_inputs(wildcards):
    """Every file the data browser samples, each from the experiment directory that owns it."""
    cfg = EXPERIMENTS[wildcards.experiment]

    def up(stage, path):
        return upstream(stage, path)(wildcards)

    def shards(dotted, path, stage):
        return shard_paths(dotted, path, stage)(wildcards)

    inputs = {
        "seeds": up("seeds_judge_gather", rules.seeds_judge_gather.output.judged),
        "judgments": up("seeds_judge_gather", rules.seeds_judge_gather.output.judgments),
        "hits": up("seeds_decontaminate", rules.seeds_decontaminate.output.hits),
        "funnel": up("seeds_funnel", rules.seeds_funnel.output.funnel),
        "instructions": up("instruct_instructions_gather", rules.instruct_instructions_gather.output.instructions),
        "instructions_stats": up("instruct_instructions_gather", rules.instruct_instructions_gather.output.stats),
        "instructions_rejected": shards("instruct", rules.instruct_instructions.output.rejected, "instruct_instructions"),
        "responses": up("responses_gather", rules.responses_gather.output.responses),
        "responses_stats": up("responses_gather", rules.responses_gather.output.stats),
        "responses_rejected": shards("responses", rules.responses.output.rejected, "responses"),
        "verdicts": up("execution_gather", rules.execution_gather.output.verdicts),
        "sft": up("selection", rules.selection.output.dataset),
        "sft_stats": up("selection", rules.selection.output.stats),
    }
    if cfg["instruct"]["mode"] == "concepts":
        inputs["concepts"] = up("instruct_concepts_gather", rules.instruct_concepts_gather.output.concepts)
        inputs["concepts_stats"] = up("instruct_concepts_gather", rules.instruct_concepts_gather.output.stats)
        inputs["concepts_rejected"] = shards("instruct", rules.instruct_concepts.output.rejected, "instruct_concepts")
    if cfg["codeocean"]["build"]:
        inputs["codeocean"] = up("codeocean_gather", rules.codeocean_gather.output.judged)
        inputs["codeocean_stats"] = up("codeocean_gather", rules.codeocean_gather.output.stats)
        inputs["codeocean_rejected"] = shards("codeocean", rules.codeocean_generate.output.rejected, "codeocean_generate")
    return inputs
