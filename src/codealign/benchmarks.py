"""Loaders for benchmark data files, in one place, taking explicit paths.

HumanEval / HumanEval+ and MBPP / MBPP+ are JSON Lines (optionally gzipped) in the layouts
their projects publish. LiveCodeBench and DS-1000 loaders live with the evaluation code that
uses them (``codealign.evaluate``).
"""

from __future__ import annotations

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


def load_mbpp(path: str | os.PathLike, benchmark: str = "mbpp") -> list[Task]:
    """MBPP (``text``/``code`` columns) or MBPP+ (EvalPlus: ``prompt``/``canonical_solution``)."""
    tasks = []
    for row in read_jsonl(path):
        if "text" in row:  # the original MBPP layout
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


LOADERS = {"humaneval": load_humaneval, "humanevalplus": load_humaneval, "mbpp": load_mbpp, "mbppplus": load_mbpp}


def load(benchmark: str, path: str | os.PathLike) -> list[Task]:
    """Load a benchmark by its config name (``benchmarks.<name>``)."""
    try:
        loader = LOADERS[benchmark]
    except KeyError:
        raise ValueError(f"no loader for benchmark {benchmark!r}; known: {sorted(LOADERS)}") from None
    return loader(path, benchmark)
