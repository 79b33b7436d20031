"""HumanEval(+) and MBPP(+) with EvalPlus: generate with codealign's backends, score with EvalPlus.

Generation is greedy (pass@1) through the same backends as the rest of the workflow, so a model
is evaluated on CPU, vLLM or an endpoint alike. A base model completes the task's prompt
(``completion`` style); an instruction-tuned one gets the task in its instruction template and
answers with a code block (``instruct`` style, EvalPlus's own instruction wording). Solutions
are cleaned with EvalPlus's sanitizer and written in its sample format.

Scoring runs ``evalplus.evaluate`` (through :mod:`codealign.evaluate.evalplus_cli`, which exits
when it is done instead of 20 s later) in a subprocess with ``HUMANEVAL_OVERRIDE_PATH`` /
``MBPP_OVERRIDE_PATH`` pointing at the benchmark file named in the config (or at a subset file
holding just the evaluated tasks: EvalPlus refuses samples that miss tasks). EvalPlus 0.3.1's
oracle for HumanEval/32 fails even the canonical solution (fixed upstream after the release):
that task is left out of both scores and listed in the results.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from codealign import io
from codealign.benchmarks import read_jsonl
from codealign.config import resolve_path
from codealign.generation.prompts import instruction_prompt_of

log = logging.getLogger("codealign.evaluate.plus")

DATASET = {"humanevalplus": "humaneval", "mbppplus": "mbpp"}
OVERRIDE_ENV = {"humanevalplus": "HUMANEVAL_OVERRIDE_PATH", "mbppplus": "MBPP_OVERRIDE_PATH"}
KNOWN_BROKEN = {
    "humanevalplus": {"HumanEval/32": "EvalPlus 0.3.1's oracle fails even the canonical solution (fixed upstream after 0.3.1)"},
    "mbppplus": {"Mbpp/255": "EvalPlus 0.3.1 fails even the canonical solution on its plus input (['Dog', …], 77), every run"},
}
INSTRUCTION = (
    "Please provide a self-contained Python script that solves the following problem in a markdown code block:\n```\n{prompt}\n```\n"
)
RESPONSE = "Below is a Python script with a self-contained function that solves the problem and passes corresponding tests:\n```python\n"
COMPLETION_STOP = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\nassert ", '\n"""', "\n```")


def select_tasks(records: list[dict], subset: dict | None) -> list[dict]:
    """All tasks, the first N (``{first: N}``) or named ones (``{task_ids: [...]}``), in file order."""
    if not subset:
        return records
    if subset.get("task_ids"):
        wanted = set(subset["task_ids"])
        missing = wanted - {r["task_id"] for r in records}
        if missing:
            raise ValueError(f"eval subset names unknown tasks: {sorted(missing)}")
        return [r for r in records if r["task_id"] in wanted]
    return records[: subset["first"]]


def write_subset(benchmark: str, path: str, subset: dict | None, out: str) -> list[dict]:
    """The override file EvalPlus reads: the benchmark file, or just the evaluated tasks."""
    records = select_tasks(read_jsonl(resolve_path(path)), subset)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    io.write_jsonl_gz(out, records)
    return records


def prompt_for(task: dict, style: str, template: dict) -> tuple[str, tuple[str, ...], str]:
    """(prompt, stop strings, text the solution starts with) for one task."""
    if style == "completion":
        return task["prompt"], COMPLETION_STOP, task["prompt"]
    instruction = INSTRUCTION.format(prompt=task["prompt"].strip())
    return instruction_prompt_of(instruction, template) + RESPONSE, ("\n```",), ""


def solution_from(task: dict, prefix: str, completion: str, style: str) -> str:
    from evalplus.sanitize import sanitize

    code = prefix + completion
    try:
        clean = sanitize(code, task.get("entry_point"))
    except Exception:  # the sanitizer parses the code; keep it raw when it cannot
        clean = code
    if style == "completion" and not clean.strip():
        clean = code
    return clean


def score(
    benchmark: str,
    samples: str,
    override: str,
    cache_dir: str,
    parallel: int = 1,
    timeout: float = 7200,
    min_time_limit: float = 1.0,
    gt_time_limit_factor: float = 4.0,
) -> dict:
    """Run ``evalplus.evaluate`` on a sample file; return its result JSON.

    The time limits are EvalPlus's (its defaults: at least 1 s, 4x the canonical solution's time);
    a loaded machine may need a larger factor for heavy inputs such as Mbpp/255's n=77.
    """
    env = {**os.environ, OVERRIDE_ENV[benchmark]: os.path.abspath(override), "XDG_CACHE_HOME": os.path.abspath(cache_dir)}
    results = samples.replace(".jsonl", "_eval_results.json")
    Path(results).unlink(missing_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "codealign.evaluate.evalplus_cli",  # evalplus.evaluate, without its 20 s linger
        "--dataset",
        DATASET[benchmark],
        "--samples",
        samples,
        "--parallel",
        str(parallel),
        "--i-just-wanna-run",
        "--min_time_limit",
        str(min_time_limit),
        "--gt_time_limit_factor",
        str(gt_time_limit_factor),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if proc.returncode != 0 or not Path(results).exists():
        raise RuntimeError(f"evalplus.evaluate failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(Path(results).read_text())


def summarize(benchmark: str, results: dict) -> dict:
    """pass@1 on the base and the plus tests, known-broken tasks left out and listed."""
    broken = KNOWN_BROKEN.get(benchmark, {})
    per_task = {}
    for task_id, attempts in results["eval"].items():
        first = attempts[0]
        per_task[task_id] = {
            "base": first["base_status"] == "pass",
            "plus": first["base_status"] == "pass" and first["plus_status"] == "pass",
        }
    counted = {t: r for t, r in per_task.items() if t not in broken}
    n = len(counted)
    return {
        "tasks": n,
        "pass@1_base": round(sum(r["base"] for r in counted.values()) / n, 4) if n else None,
        "pass@1_plus": round(sum(r["plus"] for r in counted.values()) / n, 4) if n else None,
        "excluded": {t: why for t, why in broken.items() if t in per_task},
        "per_task": per_task,
    }
