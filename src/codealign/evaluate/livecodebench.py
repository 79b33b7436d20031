"""LiveCodeBench, code-generation scenario: loader for its published layout, prompts, harness.

Layout (``livecodebench/code_generation_lite``: ``test.jsonl`` … ``test6.jsonl``, or one file):
``question_id, question_title, question_content, platform, contest_date, difficulty,
starter_code, public_test_cases, private_test_cases, metadata``. Test cases are JSON lists of
``{input, output, testtype}`` with testtype ``stdin`` (a program reading stdin) or ``functional``
(a LeetCode ``class Solution`` method, inputs one JSON value per line); private cases may be
base64(zlib(pickle(json))). A release (``release_vN``) is the files ``test.jsonl`` …
``testN.jsonl``, as LiveCodeBench's loader builds it; problems are kept when their contest date
falls in the window.

The prompt is LiveCodeBench's generic generation format (question, format line with or without
starter code, answer line). A solution passes when every public and private test passes within
LiveCodeBench's per-test timeout (6 s by default); the harness runs them all inside one
sandboxed program, each under its own alarm, and asserts each output (whitespace-insensitive
lines; floats to 1e-6). pass@1 is the share of problems whose greedy solution passes.
"""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

IMPORTS = (
    "from typing import *\nimport bisect, collections, functools, heapq, itertools, math, re, string, sys\nfrom collections import *\n"
)


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


def release_files(root: Path, release: str | None) -> list[Path]:
    """The files of a release: ``release_vN`` is test.jsonl, test2.jsonl … testN.jsonl; None: all."""
    if not root.is_dir():
        return [root]
    if release is None:
        return sorted(root.glob("test*.jsonl"), key=lambda f: int(f.stem[4:] or 1))
    n = int(release.removeprefix("release_v"))
    files = [root / ("test.jsonl" if k == 1 else f"test{k}.jsonl") for k in range(1, n + 1)]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        raise FileNotFoundError(f"LiveCodeBench {release} needs {', '.join(missing)} in {root}")
    return files


def load(path: str, start_date: str | None = None, end_date: str | None = None, release: str | None = None) -> list[Problem]:
    """Problems of a release (a file, or a folder of ``test*.jsonl`` files), inside the date window."""
    root = Path(path)
    files = release_files(root, release)
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


SYSTEM = (
    "You are an expert Python programmer. You will be given a question (problem specification) and will generate a correct "
    "Python program that matches the specification and passes all tests."
)
WITH_STARTER = "You will use the following starter code to write the solution to the problem and enclose your code within delimiters."
WITHOUT_STARTER = (
    "Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on the sample "
    "inputs). Enclose your code within delimiters as follows. Ensure that when the python program runs, it reads the "
    "inputs, runs the algorithm and writes output to STDOUT."
)


def prompt(problem: Problem) -> str:
    """The question in LiveCodeBench's generic generation format (its system line first); the
    model answers inside a code block."""
    text = f"{SYSTEM}\n\n### Question:\n{problem.content.strip()}\n\n"
    if problem.starter_code.strip():
        text += f"### Format: {WITH_STARTER}\n```python\n{problem.starter_code.strip()}\n```\n\n"
    else:
        text += f"### Format: {WITHOUT_STARTER}\n```python\n# YOUR CODE HERE\n```\n\n"
    return text + "### Answer: (use the provided format with backticks)\n\n"


_HARNESS = """
import contextlib, io, json, signal, sys

CODE = {code!r}
TESTS = {tests!r}
FUNC = {func!r}
TIMEOUT = {timeout!r}


def expired(signum, frame):
    raise TimeoutError(f"a test ran past {{TIMEOUT}} s")


signal.signal(signal.SIGALRM, expired)


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
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
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
    signal.setitimer(signal.ITIMER_REAL, 0)
"""


def program(problem: Problem, code: str, timeout_s: float = 6.0) -> str:
    """One sandbox program that runs every test of the problem against ``code``, each test under
    its own ``timeout_s`` alarm."""
    return _HARNESS.format(code=IMPORTS + code, tests=problem.tests, func=problem.func_name, timeout=float(timeout_s))


def program_timeout(problem: Problem, timeout_s: float) -> float:
    """The sandbox's wall-clock limit for a problem's program: every test at its limit, and a margin."""
    return timeout_s * max(1, len(problem.tests)) + 10
