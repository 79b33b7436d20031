"""Settings that cannot run on this machine, or that contradict each other across sections,
caught before any job starts.

Kept apart from :mod:`codealign.config` (which knows nothing of stages) because it asks the
stages themselves: the training method, the backends' environments, the benchmark files.
"""

from __future__ import annotations

import os

from codealign.config import ConfigError
from codealign.train import stage as train


def check_runnable(experiments: dict[str, dict], *, local: bool) -> None:
    """Settings that cannot run on this machine, caught before any job starts (local runs only:
    a cluster's submit host has no GPU, its jobs do)."""
    problems = []
    for name, cfg in experiments.items():
        method = train.resolve_profile(cfg["train"])["method"]
        try:
            if local:
                train.check_method(method)
        except train.TrainingUnavailable as err:
            problems.append(f"train.profile: {cfg['train']['profile']!r} (experiment {name}): {err} (read by rule train)")
        stages = {"seeds.judge": cfg["seeds"]["judge"], "instruct": cfg["instruct"], "responses": cfg["responses"], "eval": cfg["eval"]}
        if cfg["codeocean"]["build"] or cfg["train"]["mix"]["codeocean"] > 0:
            stages.update({"codeocean.generate": cfg["codeocean"]["generate"], "codeocean.discriminate": cfg["codeocean"]["discriminate"]})
        for key in ("codeocean.generate", "codeocean.discriminate"):
            if key in stages and stages[key]["model"] not in cfg["models"]:
                problems.append(f"{key}.model: {stages[key]['model']!r} (experiment {name}) is not defined under `models`")
        users = [key for key, stage in stages.items() if (stage.get("backend") or cfg["generation"]["backend"]) == "vllm"]
        python = cfg["generation"]["vllm"]["python"]
        if users and python and not os.path.exists(os.path.expanduser(python)):
            problems.append(
                f"generation.vllm.python: {python!r} does not exist, and {', '.join(users)} use(s) the vllm backend "
                "(make setup-vllm builds .venv-vllm; or choose another backend)"
            )
        if cfg["selection"]["mode"] == "partial":
            if not cfg["execution"]["per_assert"]:
                problems.append(f"selection.mode: 'partial' (experiment {name}) needs execution.per_assert: true (read by rule execution)")
            if cfg["selection"]["include_tests"]:
                problems.append(
                    f"selection.include_tests: true (experiment {name}) would put failing asserts in the SFT set of "
                    "selection.mode 'partial' (read by rule selection_candidates)"
                )
        for benchmark in cfg["eval"]["benchmarks"]:
            if benchmark in ("livecodebench", "ds1000") and not cfg["benchmarks"].get(benchmark):
                problems.append(
                    f"eval.benchmarks: {benchmark} is listed but benchmarks.{benchmark} names no file (read by rule eval_tasks)"
                )
    if problems:
        raise ConfigError("Cannot run here:\n  - " + "\n  - ".join(dict.fromkeys(problems)))
