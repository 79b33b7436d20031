"""Execution: run every response's program (its implementation, then its own tests) in the sandbox.

One job per response shard. Verdicts are appended to a cache a chunk at a time, so a killed job
resumes where it stopped; a cached verdict is keyed by the program, the limits, the isolation
asked for and the sandbox's code, so a change to any of them runs the programs again. The stats
count verdicts — the funnel's "pass" is the paper's "keep" — and record the isolation the
sandbox used and how fast it ran.
"""

from __future__ import annotations

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


def verdict_keys(rows: list[dict], cfg: dict) -> list[str]:
    """The cache key of each row's verdict: the program, the limits, the sandbox's code, and what
    will really run it — the isolation chosen, the jail's interpreter and version, and the
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
    return [hashlib.sha256((setup + "\0" + program(r)).encode()).hexdigest() for r in rows]


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
    log_file: str | None = None,
) -> Stats:
    logs.setup(log_file)
    check_memory(SandboxConfig.from_section(cfg, threads), job_mem_mb)
    rows = io.read_rows(responses_path)
    keys = verdict_keys(rows, cfg)
    cache = JsonlCache(cache_path, keys=keys)
    todo = [i for i, k in enumerate(keys) if k not in cache]
    config = SandboxConfig.from_section(cfg, threads, programs=(program(rows[i]) for i in todo))
    stats = Stats("execution", unit_in="responses", n_in=len(rows))
    sandbox_info: dict = {"isolation": None}
    elapsed = 0.0
    if todo:
        progress = logs.Progress(log, len(todo), "programs")
        with Sandbox(config) as box:
            sandbox_info = box.describe()
            for start in range(0, len(todo), CHUNK):
                chunk = todo[start : start + CHUNK]
                began = time.monotonic()
                verdicts = box.run([program(rows[i]) for i in chunk])
                elapsed += time.monotonic() - began
                cache.put_many([(keys[i], to_row(v)) for i, v in zip(chunk, verdicts)])
                progress.update(len(chunk))
            sandbox_info = box.describe()
    records = []
    for row, key in zip(rows, keys):
        v = cache[key]
        records.append(
            to_row(
                Execution(
                    row["response_id"],
                    row["instruction_id"],
                    v["status"],
                    v["detail"][:500],
                    v["exit_code"],
                    v["duration_s"],
                    v["stderr_tail"],
                )
            )
        )
    io.write_rows(out, records, schema(Execution))
    cache.compact(keys)
    counts = Counter(r["status"] for r in records)
    stats.n_out = counts.get("pass", 0)
    for status, n in counts.items():
        if status != "pass":
            stats.drop(status, n)
    durations = [r["duration_s"] for r in records]
    stats.extra.update(
        verdicts=dict(sorted(counts.items())),
        pass_rate=round(counts.get("pass", 0) / len(records), 4) if records else None,
        sandbox=sandbox_info,
        executed=len(todo),
        cached=len(rows) - len(todo),
        execution_seconds=round(elapsed, 2),
        programs_per_second=round(len(todo) / elapsed, 1) if elapsed else None,
        median_duration_s=round(statistics.median(durations), 4) if durations else None,
    )
    stats.save(stats_path)
    log.info(stats.summary())
    return stats


def run_gather(*, shards: list[str], shard_stats: list[str], out: str, stats_path: str, log_file: str | None = None) -> Stats:
    """Join the execution shards (a verdict row for every response) and merge their stats."""
    logs.setup(log_file)
    stats = gather(stage="execution", shards=shards, shard_stats=shard_stats, out=out, schema=schema(Execution), rows_are="in")
    stats.save(stats_path)
    log.info(stats.summary())
    return stats


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
