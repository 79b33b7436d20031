"""One interface for every evaluation benchmark: what the stages in :mod:`codealign.evaluate.stage`
need to know of a benchmark, with EvalPlus (:mod:`.plus`), LiveCodeBench (:mod:`.livecodebench`) and
DS-1000 (:mod:`.ds1000`) behind it. The stages ask ``SUITES[name]`` and never branch on a name."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

from codealign import io
from codealign.benchmarks import read_jsonl
from codealign.config import resolve_path, validate
from codealign.evaluate import ds1000, livecodebench, plus
from codealign.generation.prompts import instruction_prompt_of
from codealign.sandbox import Sandbox, SandboxConfig

CODE_FENCE = "```python\n"


def _wrap(text: str, style: str, template: dict) -> str:
    if style == "completion":
        return text + CODE_FENCE
    return instruction_prompt_of(text, template) + CODE_FENCE


class Suite:
    """A benchmark as the evaluation stages see it."""

    name: str
    labels: tuple[str, str | None]  # chart labels of its base and plus metrics (None: no plus tests)

    @property
    def limits_section(self) -> str:
        """The section of ``eval`` that holds its time limits."""
        return self.name

    @property
    def metrics(self) -> list[tuple[str, str]]:
        """(score column, per-task key) of each metric it reports."""
        return [("pass@1", "base"), ("pass@1_plus", "plus")] if self.labels[1] else [("pass@1", "pass")]

    def write_tasks(self, path: str, cfg: dict, out: str) -> int:
        """Write the evaluated tasks (the ``eval.subset`` of the file at ``path``) to ``out``; how many."""
        raise NotImplementedError

    def read_tasks(self, path: str) -> list:
        raise NotImplementedError

    def task_id(self, task) -> str:
        raise NotImplementedError

    def prompt(self, task, style: str, template: dict) -> tuple[str, tuple[str, ...], str]:
        """(prompt, stop strings, the text a solution starts with)."""
        raise NotImplementedError

    def solution(self, task, prefix: str, text: str, style: str) -> str:
        return text

    def score(
        self,
        *,
        tasks_path: str,
        samples: list[dict],
        out: str,
        execution: dict,
        cache_dir: str,
        threads: int,
        limits: dict,
    ) -> dict:
        """Score ``samples``; ``limits``: its ``limits_section`` of ``eval`` (``{}``: the schema's defaults)."""
        raise NotImplementedError

    def outcomes(self, scores: dict, key: str) -> dict[str, bool]:
        """Per-task pass/fail of one score file for one metric."""
        return {t: bool(r) for t, r in scores["per_task"].items()}


class EvalPlus(Suite):
    """HumanEval+ and MBPP+, scored by EvalPlus itself."""

    def __init__(self, name: str, labels: tuple[str, str]):
        self.name, self.labels = name, labels

    def write_tasks(self, path: str, cfg: dict, out: str) -> int:
        return len(plus.write_subset(self.name, path, cfg["subset"].get(self.name), out))

    def read_tasks(self, path: str) -> list:
        return read_jsonl(path)

    def task_id(self, task) -> str:
        return task["task_id"]

    def prompt(self, task, style: str, template: dict) -> tuple[str, tuple[str, ...], str]:
        return plus.prompt_for(task, style, template)

    def solution(self, task, prefix: str, text: str, style: str) -> str:
        return plus.solution_from(task, prefix, text, style)

    @property
    def limits_section(self) -> str:
        return "evalplus"  # EvalPlus's own limits, one section for HumanEval+ and MBPP+

    def score(self, *, tasks_path, samples, out, execution, cache_dir, threads, limits) -> dict:
        clean = Path(out).with_name("evalplus_samples.jsonl")
        io.write_jsonl(clean, ({"task_id": s["task_id"], "solution": s["solution"]} for s in samples))
        raw = plus.score(
            self.name,
            str(clean),
            tasks_path,
            cache_dir,
            parallel=max(1, threads),
            min_time_limit=limits.get("min_time_limit", 1.0),
            gt_time_limit_factor=limits.get("gt_time_limit_factor", 4.0),
        )
        return plus.summarize(self.name, raw)

    def outcomes(self, scores: dict, key: str) -> dict[str, bool]:
        excluded = set(scores.get("excluded", {}))  # tasks whose own canonical solution fails
        return {t: r[key] for t, r in scores["per_task"].items() if t not in excluded}


class Sandboxed(Suite):
    """A benchmark whose programs codealign's sandbox runs, each under the harness's time limit."""

    problem: type

    def load(self, path: str, cfg: dict) -> list:
        raise NotImplementedError

    def programs(self, tasks: dict, samples: list[dict], limits: dict) -> tuple[list[str], list[float]]:
        """The program and the time limit of every sample."""
        raise NotImplementedError

    def check(self, box, base) -> None:
        """Refuse to score when the sandbox lacks what the benchmark's programs need."""

    def write_tasks(self, path: str, cfg: dict, out: str) -> int:
        subset = cfg["subset"].get(self.name) or {}
        problems = self.load(resolve_path(path), cfg)
        first = subset.get("first")
        problems = problems[:first] if first else problems
        if subset.get("task_ids"):
            wanted = set(subset["task_ids"])
            problems = [p for p in problems if self.task_id(p) in wanted]
        return io.write_jsonl_gz(out, [asdict(p) for p in problems])

    def read_tasks(self, path: str) -> list:
        return [self.problem(**r) for r in read_jsonl(path)]

    def score(self, *, tasks_path, samples, out, execution, cache_dir, threads, limits) -> dict:
        tasks = {self.task_id(t): t for t in self.read_tasks(tasks_path)}
        defaults = validate({})["eval"][self.limits_section]  # the schema's, for a by-hand call without the section
        programs, timeouts = self.programs(tasks, samples, {**defaults, **limits})
        verdicts: list = [None] * len(programs)
        with Sandbox(SandboxConfig.from_section(execution, threads, programs)) as box:
            base = box.config.limits
            self.check(box, base)
            for timeout in sorted(set(timeouts)):
                indices = [i for i, t in enumerate(timeouts) if t == timeout]
                for i, v in zip(indices, box.run([programs[i] for i in indices], replace(base, timeout_s=timeout))):
                    verdicts[i] = v
            isolation = box.isolation
        per_task = {s["task_id"]: v.status == "pass" for s, v in zip(samples, verdicts)}
        n = len(per_task)
        return {
            "tasks": n,
            "pass@1": round(sum(per_task.values()) / n, 4) if n else None,
            "per_task": per_task,
            "details": {s["task_id"]: {"status": v.status, "detail": v.detail[:300]} for s, v in zip(samples, verdicts)},
            "isolation": isolation,
        }


class LiveCodeBench(Sandboxed):
    name, labels, problem = "livecodebench", ("LiveCodeBench", None), livecodebench.Problem

    def load(self, path: str, cfg: dict) -> list:
        window = cfg["livecodebench"]
        return livecodebench.load(path, window["start_date"], window["end_date"], window["release"])

    def task_id(self, task) -> str:
        return task.question_id

    def prompt(self, task, style: str, template: dict) -> tuple[str, tuple[str, ...], str]:
        return _wrap(livecodebench.prompt(task), style, template), ("\n```",), ""

    def programs(self, tasks, samples, limits):
        per_test = limits["timeout_s"]
        programs = [livecodebench.program(tasks[s["task_id"]], s["solution"], per_test) for s in samples]
        return programs, [livecodebench.program_timeout(tasks[s["task_id"]], per_test) for s in samples]


class DS1000(Sandboxed):
    name, labels, problem = "ds1000", ("DS-1000", None), ds1000.Problem

    def load(self, path: str, cfg: dict) -> list:
        return ds1000.load(path, cfg["ds1000"]["libraries"])

    def task_id(self, task) -> str:
        return task.problem_id

    def prompt(self, task, style: str, template: dict) -> tuple[str, tuple[str, ...], str]:
        prompt = task.prompt if style == "completion" else _wrap(task.prompt, style, template)
        return prompt, ds1000.STOP, ""

    def solution(self, task, prefix: str, text: str, style: str) -> str:
        return ds1000.solution_from(text)

    def programs(self, tasks, samples, limits):
        return [ds1000.program(tasks[s["task_id"]], s["solution"]) for s in samples], [limits["timeout_s"]] * len(samples)

    def check(self, box, base) -> None:
        check = box.run(["import " + ", ".join(ds1000.LIBRARIES)], replace(base, timeout_s=120))[0]
        if check.status != "pass":
            raise RuntimeError(
                f"DS-1000 needs {', '.join(ds1000.LIBRARIES)} inside the sandbox, and they do not import there "
                f"({check.status}: {check.detail[-300:]}); see execution.python and execution.site_packages"
            )


SUITES: dict[str, Suite] = {
    "humanevalplus": EvalPlus("humanevalplus", ("HumanEval", "HumanEval+")),
    "mbppplus": EvalPlus("mbppplus", ("MBPP", "MBPP+")),
    "livecodebench": LiveCodeBench(),
    "ds1000": DS1000(),
}


def time_limits(effective: dict, wildcards: dict[str, str]) -> dict:
    """The time limits of the benchmark a job scores: ``eval.evalplus`` for HumanEval+ and MBPP+,
    ``eval.livecodebench`` (per test) and ``eval.ds1000`` (per problem)."""
    return effective["eval"].get(SUITES[wildcards["benchmark"]].limits_section, {})
