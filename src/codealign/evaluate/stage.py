"""The evaluation stages: tasks → greedy samples per model → scores → the base-vs-tuned table.

``tasks``     the evaluated problems of a benchmark (all, the first N, or named ids), written in
              the benchmark's own layout (for EvalPlus: the override file it reads).
``generate``  greedy pass@1 samples of one model with codealign's backends; the base model in
              completion style, the tuned one in its instruction template (``eval.styles``).
``score``     EvalPlus for HumanEval+/MBPP+; codealign's sandbox for LiveCodeBench and DS-1000.
``report``    one table (JSON + CSV) and a bar chart, base and tuned side by side: every pass@1
              with its task count and 95% Wilson interval, a paired exact McNemar test of tuned
              against base, and the training outcome (an untrained "tuned" model is marked).
"""

from __future__ import annotations

import csv
import io as _io
import logging
import os

from codealign import cli, io, plots
from codealign.evaluate.suites import SUITES, time_limits
from codealign.evaluate.uncertainty import interval, mcnemar
from codealign.generation import llmstage, runner
from codealign.generation.backend import BackendSpec, Request, Sampling
from codealign.generation.models import fingerprint
from codealign.stats import Stats

log = logging.getLogger("codealign.evaluate")


def write_tasks(*, benchmark: str, path: str, cfg: dict, out: str) -> int:
    n = SUITES[benchmark].write_tasks(path, cfg, out)
    if n == 0:
        raise ValueError(f"{benchmark}: no task selected (eval.subset.{benchmark}, the date window or the file is empty)")
    log.info("%s: %d tasks", benchmark, n)
    return n


def request_for(benchmark: str, task, style: str, template: dict, sampling: Sampling) -> tuple[Request, str]:
    """The request and the text a solution starts with."""
    prompt, stop, prefix = SUITES[benchmark].prompt(task, style, template)
    return Request(prompt, Sampling(sampling.temperature, sampling.top_p, sampling.max_new_tokens, stop, 1, sampling.seed)), prefix


def model_spec(name: str, eval_cfg: dict, generation: dict, models: dict, checkpoint: str | None, threads: int) -> BackendSpec:
    stage = {"backend": eval_cfg["backend"], "model": name}
    if name == "tuned":
        kind = eval_cfg["backend"] or generation["backend"]
        return BackendSpec(kind, checkpoint, fingerprint(checkpoint), True, dict(generation.get(kind, {})), threads)
    return llmstage.backend_spec(stage, generation, models, threads)


def eval_sampling(cfg: dict, seed: int) -> Sampling:
    """Greedy, one sample: pass@1 as the paper reports it."""
    return Sampling(0.0, 1.0, cfg["max_new_tokens"], (), 1, seed)


def generate(
    *,
    benchmark: str,
    tasks_path: str,
    model: str,
    cfg: dict,
    generation: dict,
    models: dict,
    template: dict,
    random_seed: int,
    out: str,
    stats_path: str,
    cache_path: str,
    checkpoint: str | None = None,
    threads: int = 1,
) -> Stats:
    suite = SUITES[benchmark]
    tasks = suite.read_tasks(tasks_path)
    style = cfg["styles"][model]
    spec = model_spec(model, cfg, generation, models, checkpoint, threads)
    built = [request_for(benchmark, t, style, template, eval_sampling(cfg, random_seed + i)) for i, t in enumerate(tasks)]
    completions, run_stats = runner.run([r for r, _ in built], spec, cache_path)
    samples, empty = [], 0
    for task, (_, prefix), result in zip(tasks, built, completions):
        solution = suite.solution(task, prefix, result[0].text, style)
        empty += not solution.strip()
        samples.append({"task_id": suite.task_id(task), "solution": solution, "finish_reason": result[0].finish_reason})
    io.write_jsonl(out, samples)
    stats = Stats(f"eval_generate_{benchmark}_{model}", unit_in="tasks", unit_out="samples", n_in=len(tasks), n_out=len(samples))
    stats.extra.update(
        style=style,
        empty_solutions=empty,
        generation=run_stats.to_dict(),
        backend=spec.kind,
        model=spec.model_fingerprint,
        truncated=sum(s["finish_reason"] == "length" for s in samples),
    )
    stats.save(stats_path)
    log.info("%s/%s: %d samples (%d empty) in %s style", benchmark, model, len(samples), empty, style)
    return stats


def score(
    *,
    benchmark: str,
    tasks_path: str,
    samples_path: str,
    out: str,
    execution: dict,
    cache_dir: str,
    limits: dict,
    threads: int = 1,
) -> dict:
    """``limits``: the benchmark's time limits (:func:`codealign.evaluate.suites.time_limits`; ``{}``:
    the schema's defaults)."""
    samples = io.read_jsonl(samples_path)
    result = SUITES[benchmark].score(
        tasks_path=tasks_path,
        samples=samples,
        out=out,
        execution=execution,
        cache_dir=cache_dir,
        threads=threads,
        limits=limits,
    )
    result["benchmark"] = benchmark
    io.write_json(out, result)
    headline = result.get("pass@1_plus", result.get("pass@1"))
    log.info("%s: pass@1 %s over %d tasks", benchmark, headline, result["tasks"])
    return result


def by_benchmark(scores: list[str]) -> dict[str, dict[str, str]]:
    """Score files, laid out as ``<benchmark>/<model>/scores.json``, by benchmark and model."""
    table: dict[str, dict[str, str]] = {}
    for path in scores:
        model_dir = os.path.dirname(os.path.abspath(path))
        table.setdefault(os.path.basename(os.path.dirname(model_dir)), {})[os.path.basename(model_dir)] = path
    return table


def report(*, scores: list[str], out_json: str, out_csv: str, out_png: str, training_log: str | None = None) -> list[dict]:
    """One table of the score files (``<benchmark>/<model>/scores.json``, in the given order). Every
    pass@1 comes with its task count and 95% interval; base and tuned get a paired exact McNemar test
    on the same tasks; ``training_log`` marks an untrained tuned model."""
    training = io.read_json(training_log) if training_log else {}
    rows, comparisons, outcomes = [], [], {}
    for benchmark, by_model in by_benchmark(scores).items():
        for model, path in by_model.items():
            s = io.read_json(path)
            row = {
                "benchmark": benchmark,
                "model": model,
                "tasks": s["tasks"],
                "pass@1_plus": None,
                "pass@1_plus_ci": None,
                "excluded": ",".join(s.get("excluded", {})),
                "isolation": s.get("isolation", "evalplus (its own subprocesses, not the sandbox)"),
            }
            for column, key in SUITES[benchmark].metrics:
                per_task = SUITES[benchmark].outcomes(s, key)
                outcomes[benchmark, model, column] = per_task
                row[column] = round(sum(per_task.values()) / len(per_task), 4) if per_task else None
                row[f"{column}_ci"] = interval(sum(per_task.values()), len(per_task))
            row["note"] = f"untrained: {training.get('reason')}" if model == "tuned" and training.get("status") == "untrained" else ""
            rows.append(row)
        if {"base", "tuned"} <= set(by_model):
            for column, _ in SUITES[benchmark].metrics:
                test = mcnemar(outcomes[benchmark, "tuned", column], outcomes[benchmark, "base", column])
                comparisons.append({"benchmark": benchmark, "metric": column, "first": "tuned", "second": "base", **test})
    io.write_json(
        out_json,
        {
            "scores": rows,
            "comparisons": comparisons,
            "interval": "95% Wilson score interval",
            "training": {k: v for k, v in training.items() if k != "log_history"},
        },
    )
    buffer = _io.StringIO()
    fields = ["benchmark", "model", "tasks", "pass@1", "pass@1_ci", "pass@1_plus", "pass@1_plus_ci", "excluded", "note"]
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({**r, **{k: _ci_text(r[k]) for k in ("pass@1_ci", "pass@1_plus_ci")}} for r in rows)
    io.write_text(out_csv, buffer.getvalue())
    _chart(rows, comparisons, out_png)
    log.info("scores:\n%s", buffer.getvalue())
    for c in comparisons:
        log.info(
            "%s %s: tuned-only %d, base-only %d of %d tasks, McNemar p=%s",
            c["benchmark"],
            c["metric"],
            c["only_first"],
            c["only_second"],
            c["tasks"],
            c["p_value"],
        )
    return rows


def _ci_text(ci) -> str:
    return f"[{ci[0]:.4f}, {ci[1]:.4f}]" if ci else ""


def _chart(rows: list[dict], comparisons: list[dict], path: str) -> None:
    """Grouped bars with 95% intervals: one group per metric (HumanEval, HumanEval+, …), one bar
    per model; each label gives the score and the task count, so a 0.0 still says what it rests on."""
    plt = plots.pyplot()
    metrics = []  # (label, benchmark, key)
    for benchmark in dict.fromkeys(r["benchmark"] for r in rows):
        base_name, plus_name = SUITES[benchmark].labels
        metrics.append((base_name, benchmark, "pass@1"))
        if plus_name:
            metrics.append((plus_name, benchmark, "pass@1_plus"))
    models = list(dict.fromkeys(r["model"] for r in rows))
    value = {(r["benchmark"], r["model"]): r for r in rows}
    p_values = {(c["benchmark"], c["metric"]): c["p_value"] for c in comparisons}
    fig, ax = plt.subplots(figsize=(max(5.5, 1.8 * len(metrics)), 4.2))
    width = 0.8 / max(1, len(models))
    top = 0.0
    for k, model in enumerate(models):
        xs = [i + k * width for i in range(len(metrics))]
        cells = [value.get((b, model), {}) for _, b, _ in metrics]
        heights = [100 * (c.get(key) or 0.0) for c, (_, _, key) in zip(cells, metrics)]
        cis = [c.get(f"{key}_ci") or (0.0, 0.0) for c, (_, _, key) in zip(cells, metrics)]
        low = [h - 100 * ci[0] for h, ci in zip(heights, cis)]
        high = [100 * ci[1] - h for h, ci in zip(heights, cis)]
        ax.bar(xs, heights, width, yerr=[low, high], capsize=4, label=model, error_kw={"elinewidth": 1})
        labels = [f"{h:.1f}\nn={c.get('tasks', 0)}" for h, c in zip(heights, cells)]
        for x, h, up, label in zip(xs, heights, high, labels):
            ax.text(x, h + up + 1, label, ha="center", va="bottom", fontsize=7)
        top = max([top] + [h + up for h, up in zip(heights, high)])
    ticks = [f"{m[0]}" + (f"\nMcNemar p={p_values[m[1], m[2]]:.3g}" if (m[1], m[2]) in p_values else "") for m in metrics]
    ax.set_xticks([i + width * (len(models) - 1) / 2 for i in range(len(metrics))], ticks, fontsize=8)
    ax.set_ylim(0, min(100, top + 15) if top else 15)
    ax.set_ylabel("pass@1 (%), 95% interval")
    ax.set_title("Base vs tuned model, greedy pass@1")
    ax.legend(fontsize=8)
    fig.tight_layout()
    plots.save(fig, path)


TASKS = cli.Entry(
    write_tasks, inputs={"path": "data"}, outputs={"out": "tasks"}, config={"cfg": "eval"}, wildcards={"benchmark": "benchmark"}
)
GENERATE = cli.Entry(
    generate,
    inputs={"tasks_path": "tasks", "checkpoint": "checkpoint"},
    outputs={"out": "samples", "stats_path": "stats"},
    params={"cache_path": "cache"},
    config={"cfg": "eval", "generation": "generation", "models": "models", "template": "train.template", "random_seed": "random_seed"},
    wildcards={"benchmark": "benchmark", "model": "model"},
)
SCORE = cli.Entry(
    score,
    inputs={"tasks_path": "tasks", "samples_path": "samples"},
    outputs={"out": "scores"},
    params={"cache_dir": "cache_dir"},
    config={"execution": "execution", "limits": time_limits},
    wildcards={"benchmark": "benchmark"},
)
REPORT = cli.Entry(
    report,
    inputs={"scores": "scores", "training_log": "training_log"},
    outputs={"out_json": "json", "out_csv": "csv", "out_png": "chart"},
)
ENTRIES = {"tasks": TASKS, "generate": GENERATE, "score": SCORE, "report": REPORT}

if __name__ == "__main__":
    cli.main(ENTRIES, prog="python -m codealign.evaluate.stage")
