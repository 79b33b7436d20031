"""The report's figures, drawn from existing results.

Figures read only stats files, data files and Snakemake ``benchmark:`` tables that earlier rules
wrote, so ``snakemake figures`` redraws them without rerunning any costly job. ``snakemake
--report report.html`` collects them with their captions (``report/*.rst``).
"""

from __future__ import annotations

import csv
import glob
import logging
from collections import Counter, defaultdict

from codealign import io, plots

log = logging.getLogger("codealign.report.figures")

# SelfCodeAlign (StarCoder2-15B-Instruct): 5.36M functions → 250k seeds → 238k instructions → 2.4M
# responses → 500k passing → 50k in the final set.
PAPER_FUNNEL = (
    ("functions", 5_360_000),
    ("seeds", 250_000),
    ("instructions", 238_000),
    ("responses", 2_400_000),
    ("passing", 500_000),
    ("SFT set", 50_000),
)


def funnel_counts(*, funnel: str, judged: str, instructions: str, responses: str, execution: str, sft: str) -> dict[str, int]:
    """Our counts at the paper's funnel steps, from the seed funnel and the stats files of those stages."""
    extracted = next(s for s in io.read_json(funnel)["steps"] if s["stage"] == "seeds_extract")
    return {
        "functions": extracted["out"],
        "seeds": io.read_json(judged)["out"],
        "instructions": io.read_json(instructions)["out"],
        "responses": io.read_json(responses)["in"],
        "passing": io.read_json(execution)["out"],
        "SFT set": io.read_json(sft)["out"],
    }


def plot_funnel(ours: dict[str, int], out: str) -> None:
    plt = plots.pyplot()
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
    plots.save(fig, out)


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
    plt = plots.pyplot()
    overall, by_difficulty, by_category = verdict_table(instructions_path, execution_path)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    statuses = sorted(overall, key=lambda s: -overall[s])
    if statuses:
        ax.bar(statuses, [overall[s] for s in statuses], color="#c63")
        ax.set_ylabel("responses")
    else:
        plots.say_empty(ax, "no response reached the sandbox (none parsed)")
    ax.set_title(f"Sandbox verdicts of {sum(overall.values())} executed responses")
    fig.tight_layout()
    plots.save(fig, out_verdicts)

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
    for ax, (title, groups) in zip(axes, (("difficulty", by_difficulty), ("category", by_category))):
        names = sorted(groups)
        if not names:
            plots.say_empty(ax, "no executed responses")
        rates = [groups[n]["pass"] / sum(groups[n].values()) for n in names]
        ax.bar(names, rates, color="#36c")
        for i, n in enumerate(names):
            ax.annotate(f"{groups[n]['pass']}/{sum(groups[n].values())}", (i, rates[i]), ha="center", va="bottom", fontsize=8)
        ax.set_title(f"pass rate by {title}")
        ax.tick_params(axis="x", labelrotation=20)
    axes[0].set_ylabel("fraction of responses passing their tests")
    fig.tight_layout()
    plots.save(fig, out_pass_rate)


def plot_scores(score_files: dict[str, str], out: str) -> None:
    """pass@1 (base tests and plus tests) of every evaluated model, per experiment and benchmark, with
    95% intervals; each bar is labelled with its score and task count, so a 0.0 still shows what it rests on."""
    plt = plots.pyplot()
    rows = [(exp, s) for exp, path in score_files.items() for s in io.read_json(path)["scores"]]
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(rows)), 4.2))
    if not rows:
        plots.say_empty(ax, "no scores: eval.benchmarks is empty")
        plots.save(fig, out)
        return
    xs = range(len(rows))
    top = 0.0
    for offset, key, label, color in ((-0.2, "pass@1", "pass@1 (base tests)", "#9aa"), (0.2, "pass@1_plus", "pass@1 (plus tests)", "#c63")):
        heights = [100 * (s.get(key) or 0.0) for _, s in rows]
        cis = [s.get(f"{key}_ci") or (h / 100, h / 100) for (_, s), h in zip(rows, heights)]
        low = [max(0.0, h - 100 * ci[0]) for h, ci in zip(heights, cis)]
        high = [max(0.0, 100 * ci[1] - h) for h, ci in zip(heights, cis)]
        ax.bar([x + offset for x in xs], heights, 0.4, yerr=[low, high], capsize=3, label=label, color=color, error_kw={"elinewidth": 1})
        for x, h, up, (_, s) in zip(xs, heights, high, rows):
            ax.text(x + offset, h + up + 1, f"{h:.1f}\nn={s.get('tasks', 0)}", ha="center", va="bottom", fontsize=6)
        top = max([top] + [h + up for h, up in zip(heights, high)])
    ax.set_xticks(list(xs), [f"{exp}\n{s['benchmark']}\n{s['model']}" for exp, s in rows], fontsize=7)
    ax.set_ylim(0, min(100, top + 15))
    ax.set_ylabel("pass@1 (%), 95% interval")
    ax.set_title("Greedy pass@1, base vs tuned, per experiment")
    ax.legend(fontsize=8)
    fig.tight_layout()
    plots.save(fig, out)


def plot_ablations(experiments: dict[str, tuple[str, str]], out: str) -> None:
    """SFT set size and tuned pass@1 of every experiment side by side (``name -> (sft stats, scores)``)."""
    plt = plots.pyplot()
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
    plots.save(fig, out)


def timing_rows(dirs_by_rule: dict[str, list[str]]) -> list[tuple[str, float, float]]:
    """(rule, wall seconds summed over its jobs, max RSS MB) from the timing tables (`benchmark:` files) of each rule,
    read in the experiment directories that own its outputs (``results/<dir>/benchmarks/<rule>…``)."""
    totals: dict[str, list[float]] = {}
    for rule, dirs in dirs_by_rule.items():
        paths = sorted(
            {
                p
                for d in dirs
                for p in glob.glob(f"{d}/benchmarks/{rule}.tsv") + glob.glob(f"{d}/benchmarks/{rule}/**/*.tsv", recursive=True)
            }
        )
        for path in paths:
            with open(path) as f:
                for row in csv.DictReader(f, delimiter="\t"):
                    rss = float(row["max_rss"]) if row.get("max_rss") not in (None, "", "NA", "-") else 0.0
                    t = totals.setdefault(rule, [0.0, 0.0])
                    t[0] += float(row["s"])
                    t[1] = max(t[1], rss)
    return sorted(((r, s, m) for r, (s, m) in totals.items()), key=lambda r: -r[1])


def plot_throughput(dirs_by_rule: dict[str, list[str]], out: str) -> None:
    plt = plots.pyplot()
    rows = timing_rows(dirs_by_rule)
    fig, ax = plt.subplots(figsize=(8, max(3, 0.35 * len(rows) + 1)))
    names = [r for r, _, _ in rows]
    ax.barh(names, [s / 60 for _, s, _ in rows], color="#36c")
    for i, (_, s, m) in enumerate(rows):
        ax.annotate(f"{s / 60:.1f} min, {m:.0f} MB", (s / 60, i), va="center", fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("wall-clock minutes (all jobs of the rule), max RSS")
    ax.set_title("Where the time went (Snakemake benchmark tables)")
    fig.tight_layout()
    plots.save(fig, out)


def plot_codeocean(stats_path: str, out: str) -> None:
    plt = plots.pyplot()
    stats = io.read_json(stats_path)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    tasks = sorted(stats["planned_tasks"])
    axes[0].bar(tasks, [stats["planned_tasks"][t] for t in tasks], color="#9aa", label="planned")
    axes[0].bar(tasks, [stats["accepted_by_task"].get(t, 0) for t in tasks], color="#c63", label="accepted")
    axes[0].legend()
    accepted = sum(stats["accepted_by_task"].values())
    planned = sum(stats["planned_tasks"].values())
    verdict = f"{accepted} of {planned} accepted" + ("" if accepted else ": the CodeOcean SFT set is empty")
    axes[0].set_title(f"CodeOcean items by task\n{verdict}", fontsize=10, color="#000" if accepted else "#a00")
    axes[0].tick_params(axis="x", labelrotation=20)
    reasons = {**stats["dropped"], **{f"check: {k}": v for k, v in stats["failed_checks"].items()}}
    names = sorted(reasons, key=lambda r: -reasons[r])
    if not names:
        plots.say_empty(axes[1], "nothing dropped")
    axes[1].barh(names, [reasons[n] for n in names], color="#36c")
    axes[1].invert_yaxis()
    axes[1].set_title("drops and failed checklist answers")
    fig.tight_layout()
    plots.save(fig, out)
