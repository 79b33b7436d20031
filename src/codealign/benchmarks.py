"""Loaders for benchmark data files, in one place, taking explicit paths.

HumanEval / HumanEval+ and MBPP / MBPP+ are JSON Lines (optionally gzipped) in the layouts
their projects publish. For decontamination, DS-1000 (``ds1000.jsonl``), LiveCodeBench
(``code_generation_lite``: a ``test*.jsonl`` file or a folder of them) and any further JSON
Lines file load here too, as the text that must not reach training data; their evaluation
loaders live with the harnesses (``codealign.evaluate``).
"""

from __future__ import annotations

import glob
import gzip
import json
import os
import re
from dataclasses import dataclass, field

from codealign.config import resolve_path


@dataclass(frozen=True)
class Task:
    """One benchmark problem."""

    benchmark: str
    task_id: str
    prompt: str
    canonical_solution: str
    entry_point: str
    description: str
    raw: dict = field(repr=False, compare=False, default_factory=dict)


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """Read JSON Lines, gzipped or not (decided by the magic bytes, not the name)."""
    path = resolve_path(os.fspath(path))
    with open(path, "rb") as fh:
        magic = fh.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def docstring_of(prompt: str) -> str:
    """The (last) docstring of a HumanEval-style prompt, stripped."""
    for quote in ('"""', "'''"):
        parts = prompt.split(quote)
        if len(parts) >= 3:
            return parts[-2].strip()
    return ""


def load_humaneval(path: str | os.PathLike, benchmark: str = "humaneval") -> list[Task]:
    """HumanEval (openai/human-eval) or HumanEval+ (EvalPlus) records."""
    tasks = []
    for row in read_jsonl(path):
        tasks.append(
            Task(
                benchmark=benchmark,
                task_id=row["task_id"],
                prompt=row["prompt"],
                canonical_solution=row.get("canonical_solution", ""),
                entry_point=row.get("entry_point", ""),
                description=docstring_of(row["prompt"]),
                raw=row,
            )
        )
    return tasks


_ASSERT_LINE = re.compile(r"^\s*assert\b", re.M)


MBPP_TEST_IDS = range(11, 511)  # the original MBPP's 500 test tasks, which the paper decontaminates against


def load_mbpp(path: str | os.PathLike, benchmark: str = "mbpp") -> list[Task]:
    """MBPP (``text``/``code`` columns; its 500 test tasks) or MBPP+ (EvalPlus: ``prompt``/``canonical_solution``)."""
    tasks = []
    for row in read_jsonl(path):
        if "text" in row:  # the original MBPP layout
            if int(row["task_id"]) not in MBPP_TEST_IDS:
                continue
            description, solution, prompt = row["text"], row["code"], row["text"]
        else:
            prompt = row["prompt"]
            inner = docstring_of(prompt) or prompt
            match = _ASSERT_LINE.search(inner)
            description = (inner[: match.start()] if match else inner).strip()
            solution = row.get("canonical_solution", "")
        tasks.append(
            Task(
                benchmark=benchmark,
                task_id=str(row["task_id"]),
                prompt=prompt,
                canonical_solution=solution,
                entry_point=row.get("entry_point", ""),
                description=description,
                raw=row,
            )
        )
    return tasks


def _ds1000_prompt(prompt: str) -> str:
    """The problem statement of a DS-1000 prompt: the text before its solution marker (as the paper's script)."""
    for marker in ("SOLUTION START", "BEGIN SOLUTION"):
        if marker in prompt:
            return prompt.split(marker)[0]
    return prompt


def load_ds1000(path: str | os.PathLike, benchmark: str = "ds1000") -> list[Task]:
    """DS-1000 (``ds1000.jsonl``): the prompt before its solution marker is the text searched for."""
    tasks = []
    for i, row in enumerate(read_jsonl(path)):
        meta = row.get("metadata") or {}
        meta = json.loads(meta) if isinstance(meta, str) else meta
        tasks.append(Task(benchmark, str(meta.get("problem_id", i)), row["prompt"], "", "", _ds1000_prompt(row["prompt"]), row))
    return tasks


def load_livecodebench(path: str | os.PathLike, benchmark: str = "livecodebench") -> list[Task]:
    """LiveCodeBench code generation: every question's statement."""
    root = resolve_path(os.fspath(path))
    files = sorted(glob.glob(os.path.join(root, "test*.jsonl"))) if os.path.isdir(root) else sorted(glob.glob(root))
    return [
        Task(benchmark, str(row["question_id"]), row["question_content"], "", "", row["question_content"], row)
        for file in files
        for row in read_jsonl(file)
    ]


def load_fields(path: str | os.PathLike, fields: list[str], benchmark: str | None = None) -> list[Task]:
    """Any JSON Lines file: each record's ``fields`` (the first as description, the rest joined as solution)."""
    name = benchmark or os.path.basename(os.fspath(path))
    tasks = []
    for i, row in enumerate(read_jsonl(path)):
        missing = [f for f in fields if f not in row]
        if missing:
            raise ValueError(f"{path}: record {i} has no field {missing[0]!r}")
        texts = [str(row[f]) for f in fields]
        tasks.append(Task(name, str(row.get("task_id", i)), texts[0], "\n".join(texts[1:]), "", texts[0], row))
    return tasks


LOADERS = {
    "humaneval": load_humaneval,
    "humanevalplus": load_humaneval,
    "mbpp": load_mbpp,
    "mbppplus": load_mbpp,
    "ds1000": load_ds1000,
    "livecodebench": load_livecodebench,
}


def load(benchmark: str, path: str | os.PathLike) -> list[Task]:
    """Load a benchmark by its config name (``benchmarks.<name>``)."""
    try:
        loader = LOADERS[benchmark]
    except KeyError:
        raise ValueError(f"no loader for benchmark {benchmark!r}; known: {sorted(LOADERS)}") from None
    return loader(path, benchmark)
