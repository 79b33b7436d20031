"""DS-1000: loader for its published layout, prompts, and the program that checks a solution.

Layout (``ds1000.jsonl`` of xlangai/DS-1000, one problem per line): ``prompt`` (ending with the
``<code>`` the model continues), ``reference_code``, ``metadata`` (``problem_id``, ``library``
…) and ``code_context``, which defines ``test_execution(solution)`` and sometimes
``test_string(solution)``. As DS-1000's own harness does, each problem runs as one program
(its ``code_context``, then ``test_execution`` and ``test_string`` of the solution) in a fresh
working directory, with a per-problem time limit (120 s) and matplotlib on its non-interactive
backend. A solution passes when both run without error in the sandbox, which must see numpy,
pandas, scipy, scikit-learn and matplotlib (``execution.site_packages``; checked before scoring).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

STOP = ("</code>", "# SOLUTION END", "END SOLUTION", "\n```")


@dataclass(frozen=True)
class Problem:
    problem_id: str
    library: str
    prompt: str
    reference_code: str
    code_context: str


def load(path: str, libraries: list[str] | None = None) -> list[Problem]:
    problems = []
    with open(path) as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            meta = row.get("metadata") or {}
            meta = json.loads(meta) if isinstance(meta, str) else meta
            library = str(meta.get("library", ""))
            if libraries and library not in libraries:
                continue
            problems.append(
                Problem(
                    str(meta.get("problem_id", len(problems))), library, row["prompt"], row.get("reference_code", ""), row["code_context"]
                )
            )
    return problems


def solution_from(completion: str) -> str:
    """The completion up to the first end marker."""
    cut = min((completion.find(s) for s in STOP if s in completion), default=-1)
    return completion[:cut] if cut >= 0 else completion


LIBRARIES = ("numpy", "pandas", "scipy", "sklearn", "matplotlib")
CONTEXT = "import os\nos.environ['MPLBACKEND'] = 'Agg'\nos.environ['MPLCONFIGDIR'] = os.getcwd()\n"


def program(problem: Problem, solution: str) -> str:
    """The problem's test program, run in the sandbox's fresh working directory."""
    text = CONTEXT + problem.code_context + "\n" + f"test_execution({solution!r})\n"
    if "test_string(" in problem.code_context:
        text += f"test_string({solution!r})\n"
    return text
