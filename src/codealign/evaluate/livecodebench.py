"""LiveCodeBench, code-generation scenario: loader for its published layout, prompts, harness.

Layout (``livecodebench/code_generation_lite``: ``test.jsonl`` … ``test6.jsonl``, or one file):
``question_id, question_title, question_content, platform, contest_date, difficulty,
starter_code, public_test_cases, private_test_cases, metadata``. Test cases are JSON lists of
``{input, output, testtype}`` with testtype ``stdin`` (a program reading stdin) or ``functional``
(a LeetCode ``class Solution`` method, inputs one JSON value per line); private cases may be
base64(zlib(pickle(json))). Problems are kept when their contest date falls in the window.

A solution passes when every public and private test passes; the harness runs them all inside
one sandboxed program and asserts each output (whitespace-insensitive lines; floats to 1e-6).
"""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

IMPORTS = "from typing import *\nimport bisect, collections, functools, heapq, itertools, math, re, string, sys\nfrom collections import *\n"


@dataclass(frozen=True)
class Problem:
    question_id: str
    title: str
    content: str
    platform: str
    contest_date: str
    difficulty: str
    starter_code: str
    func_name: str | None
    tests: list[dict]


def decode_tests(field) -> list[dict]:
    if not field:
        return []
    if isinstance(field, list):
        return field
    try:
        return json.loads(field)
    except (json.JSONDecodeError, TypeError):
        return json.loads(pickle.loads(zlib.decompress(base64.b64decode(field.encode()))))


def _day(text: str) -> date:
    return datetime.fromisoformat(str(text).replace("Z", "")).date()


def load(path: str, start_date: str | None = None, end_date: str | None = None) -> list[Problem]:
    """Problems from a file or a folder of ``test*.jsonl`` files, inside the date window."""
    root = Path(path)
    files = sorted(root.glob("test*.jsonl")) if root.is_dir() else [root]
    if not files:
        raise FileNotFoundError(f"no LiveCodeBench test*.jsonl files in {path}")
    lo = _day(start_date) if start_date else None
    hi = _day(end_date) if end_date else None
    problems = []
    for file in files:
        with open(file) as fh:
            for line in fh:
                if not line.strip():
                    continue
                row = json.loads(line)
                day = _day(row["contest_date"])
                if (lo and day < lo) or (hi and day > hi):
                    continue
                meta = row.get("metadata") or {}
                meta = json.loads(meta) if isinstance(meta, str) else meta
                problems.append(
                    Problem(
                        question_id=str(row["question_id"]),
                        title=row.get("question_title", ""),
                        content=row["question_content"],
                        platform=row.get("platform", ""),
                        contest_date=str(row["contest_date"]),
                        difficulty=row.get("difficulty", ""),
                        starter_code=row.get("starter_code") or "",
                        func_name=meta.get("func_name"),
                        tests=decode_tests(row.get("public_test_cases")) + decode_tests(row.get("private_test_cases")),
                    )
                )
    return problems


def prompt(problem: Problem) -> str:
    """The question in LiveCodeBench's generation format; the model answers inside a code block."""
    text = f"### Question:\n{problem.content.strip()}\n\n"
    if problem.starter_code.strip():
        text += ("### Format: You will use the following starter code to write the solution to the problem and enclose your code "
                 f"within delimiters.\n```python\n{problem.starter_code.strip()}\n```\n\n")
    else:
        text += ("### Format: Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test "
                 "on the sample inputs). Enclose your code within delimiters as follows.\n```python\n# YOUR CODE HERE\n```\n\n")
    return text + "### Answer: (use the provided format with backticks)\n\n"


_HARNESS = '''
import contextlib, io, json, sys

CODE = {code!r}
TESTS = {tests!r}
FUNC = {func!r}


def same(got, want):
    got_lines = [line.split() for line in got.strip().splitlines()]
    want_lines = [line.split() for line in want.strip().splitlines()]
    if got_lines == want_lines:
        return True
    if len(got_lines) != len(want_lines):
        return False
    for a, b in zip(got_lines, want_lines):
        if len(a) != len(b):
            return False
        for x, y in zip(a, b):
            if x != y:
                try:
                    if abs(float(x) - float(y)) > 1e-6:
                        return False
                except ValueError:
                    return False
    return True


compiled = compile(CODE, "solution.py", "exec")
for number, test in enumerate(TESTS):
    if test.get("testtype") == "functional":
        namespace = {{"__name__": "solution"}}
        exec(compiled, namespace)
        method = getattr(namespace["Solution"](), FUNC)
        args = [json.loads(line) for line in test["input"].split("\\n") if line.strip()]
        result = method(*args)
        assert result == json.loads(test["output"]), f"test {{number}}: {{result!r}}"
    else:
        sys.stdin = io.TextIOWrapper(io.BytesIO(test["input"].encode()), encoding="utf-8")
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compiled, {{"__name__": "__main__"}})
        except SystemExit:
            pass
        assert same(out.getvalue(), test["output"]), f"test {{number}}: {{out.getvalue()[:200]!r}}"
'''


def program(problem: Problem, code: str) -> str:
    """One sandbox program that runs every test of the problem against ``code``."""
    return _HARNESS.format(code=IMPORTS + code, tests=problem.tests, func=problem.func_name)
