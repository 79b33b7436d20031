"""Execution: run every response's program (its implementation, then its own tests) in the sandbox.

One job per response shard. Verdicts are appended to a cache a chunk at a time, so a killed job
resumes where it stopped; a cached verdict is keyed by the program, the limits, the isolation
asked for and the sandbox's code, so a change to any of them runs the programs again. The stats
count verdicts — the funnel's "pass" is the paper's "keep" — and record the isolation the
sandbox used and how fast it ran.

With ``execution.per_assert`` (not the paper; the embedded default's small model rarely passes
all of its own tests) every response that does not pass also runs once per top-level assert of
its tests: the implementation, the tests' other statements, and that one assert. The record
counts its asserts and how many pass alone, for ``selection.mode: partial``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import statistics
import time
from collections import Counter
from dataclasses import asdict

from codealign import cli, io, logs
from codealign.cache import JsonlCache
from codealign.records import Execution, schema, to_row
from codealign.sandbox import Sandbox, SandboxConfig
from codealign.sandbox.pool import identity as sandbox_identity
from codealign.shards import gather
from codealign.stats import Stats
from codealign.workflow import code_version

log = logging.getLogger("codealign.selfalign.execution")

CHUNK = 256


def program(row: dict) -> str:
    return row["implementation"] + "\n\n" + row["tests"]


def assert_programs(row: dict) -> list[str]:
    """One program per top-level assert of the tests: the implementation, then the tests without
    their other asserts (setup statements stay). An empty list when the tests do not parse."""
    tests = row["tests"]
    try:
        body = ast.parse(tests).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    asserts = [node for node in body if isinstance(node, ast.Assert)]
    segments = [ast.get_source_segment(tests, node) or ast.unparse(node) for node in body]
    return [
        row["implementation"]
        + "\n\n"
        + "\n".join(seg for node, seg in zip(body, segments) if node is one or not isinstance(node, ast.Assert))
        + "\n"
        for one in asserts
    ]


def verdict_keys(programs: list[str], cfg: dict) -> list[str]:
    """The cache key of each program's verdict: the program, the limits, the sandbox's code, and
    what will really run it — the isolation chosen, the jail's interpreter and version, and the
    distributions its site-packages holds (resolved here, so a changed machine misses the cache;
    an isolation that cannot start fails the job before any program runs)."""
    setup = json.dumps(
        {
            "limits": asdict(SandboxConfig.from_section(cfg).limits),
            "sandbox": code_version("codealign.sandbox.pool"),
            "runs_on": sandbox_identity(SandboxConfig.from_section(cfg)),
        },
        sort_keys=True,
    )
    return [hashlib.sha256((setup + "\0" + p).encode()).hexdigest() for p in programs]


def check_memory(config: SandboxConfig, job_mem_mb: int | None) -> None:
    """Every worker may run a program at its memory limit at once: that must fit the job."""
    need = config.workers * config.limits.memory_mb
    if job_mem_mb and need > job_mem_mb:
        raise ValueError(
            f"execution: {config.workers} sandbox workers × execution.memory_mb {config.limits.memory_mb} = {need} MB "
            f"do not fit the job's mem_mb {job_mem_mb}; lower execution.workers or execution.memory_mb"
        )


def run_shard(
    *,
    responses_path: str,
    out: str,
    stats_path: str,
    cache_path: str,
    cfg: dict,
    threads: int = 1,
    job_mem_mb: int | None = None,
) -> Stats:
    check_memory(SandboxConfig.from_section(cfg, threads), job_mem_mb)
    rows = io.read_rows(responses_path)
    programs = [program(r) for r in rows]
    # With per_assert, every row's one-assert programs (run only for rows that do not pass) are
    # keyed up front, so their cached verdicts load from every shard's cache file too.
    one_assert = [assert_programs(r) for r in rows] if cfg["per_assert"] else [[] for _ in rows]
    flat = [p for ps in one_assert for p in ps]
    all_keys = verdict_keys(programs + flat, cfg)
    keys, flat_keys = all_keys[: len(rows)], iter(all_keys[len(rows) :])
    one_assert_keys = [[next(flat_keys) for _ in ps] for ps in one_assert]
    cache = JsonlCache(cache_path, keys=all_keys)
    run = _Runs(cache, cfg, threads)
    run.missing(programs, keys)
    per_assert: dict[int, list[str]] = {}  # row → the keys of its one-assert programs, for rows that did not pass
    if cfg["per_assert"]:
        failing = [i for i, key in enumerate(keys) if cache[key]["status"] != "pass"]
        per_assert = {i: one_assert_keys[i] for i in failing}
        run.missing([p for i in failing for p in one_assert[i]], [k for i in failing for k in one_assert_keys[i]], "one-assert programs")
    records = [
        _record(row, cache[key], cache, per_assert.get(i), len(one_assert[i]) if cfg["per_assert"] else None)
        for i, (row, key) in enumerate(zip(rows, keys))
    ]
    io.write_rows(out, records, schema(Execution))
    cache.compact(keys + [k for ks in per_assert.values() for k in ks])
    stats = Stats("execution", unit_in="responses", n_in=len(rows))
    counts = Counter(r["status"] for r in records)
    stats.n_out = counts.get("pass", 0)
    for status, n in counts.items():
        if status != "pass":
            stats.drop(status, n)
    durations = [r["duration_s"] for r in records]
    stats.extra.update(
        verdicts=dict(sorted(counts.items())),
        pass_rate=round(counts.get("pass", 0) / len(records), 4) if records else None,
        sandbox=run.sandbox_info,
        executed=run.executed,
        cached=len(rows) + sum(map(len, per_assert.values())) - run.executed,
        execution_seconds=round(run.elapsed, 2),
        programs_per_second=round(run.executed / run.elapsed, 1) if run.elapsed else None,
        median_duration_s=round(statistics.median(durations), 4) if durations else None,
    )
    if cfg["per_assert"]:
        failing = [r for r in records if r["status"] != "pass"]
        stats.extra["per_assert"] = {
            "responses": len(failing),
            "asserts_run": sum(r["asserts_total"] for r in failing),
            "with_a_passing_assert": sum(r["asserts_passed"] > 0 for r in failing),
        }
    return stats.save(stats_path)


class _Runs:
    """Runs the programs whose verdicts are not cached yet, a chunk at a time into the cache."""

    def __init__(self, cache: JsonlCache, cfg: dict, threads: int):
        self.cache, self.cfg, self.threads = cache, cfg, threads
        self.sandbox_info: dict = {"isolation": None}
        self.executed, self.elapsed = 0, 0.0

    def missing(self, programs: list[str], keys: list[str], what: str = "programs") -> None:
        todo = [i for i, k in enumerate(keys) if k not in self.cache]
        if not todo:
            return
        config = SandboxConfig.from_section(self.cfg, self.threads, programs=(programs[i] for i in todo))
        progress = logs.Progress(log, len(todo), what)
        with Sandbox(config) as box:
            for start in range(0, len(todo), CHUNK):
                chunk = todo[start : start + CHUNK]
                began = time.monotonic()
                verdicts = box.run([programs[i] for i in chunk])
                self.elapsed += time.monotonic() - began
                self.cache.put_many([(keys[i], to_row(v)) for i, v in zip(chunk, verdicts)])
                progress.update(len(chunk))
            self.sandbox_info = box.describe()
        self.executed += len(todo)


def _record(row: dict, v: dict, cache: JsonlCache, assert_keys: list[str] | None, n_asserts: int | None) -> dict:
    """A response's verdict row; with per_assert (``n_asserts`` not None) its assert counts: all
    of them pass when the whole program did, else those whose one-assert program passed."""
    total = passed = n_asserts
    if assert_keys is not None:
        passed = sum(cache[k]["status"] == "pass" for k in assert_keys)
    execution = Execution(
        row["response_id"],
        row["instruction_id"],
        v["status"],
        v["detail"][:500],
        v["exit_code"],
        v["duration_s"],
        v["stderr_tail"],
        asserts_total=total,
        asserts_passed=passed,
    )
    return to_row(execution)


def run_gather(*, shards: list[str], shard_stats: list[str], out: str, stats_path: str) -> Stats:
    """Join the execution shards (a verdict row for every response) and merge their stats."""
    stats = gather(stage="execution", shards=shards, shard_stats=shard_stats, out=out, schema=schema(Execution), rows_are="in")
    return stats.save(stats_path)


SHARD = cli.Entry(
    run_shard,
    inputs={"responses_path": "responses"},
    outputs={"out": "verdicts", "stats_path": "stats"},
    params={"cache_path": "cache"},
    config={"cfg": "execution"},
    resources={"job_mem_mb": "mem_mb"},
)
GATHER = cli.Entry(
    run_gather, inputs={"shards": "shards", "shard_stats": "shard_stats"}, outputs={"out": "verdicts", "stats_path": "stats"}
)
ENTRIES = {"shard": SHARD, "gather": GATHER}

if __name__ == "__main__":
    cli.main(ENTRIES, prog="python -m codealign.selfalign.execution")
