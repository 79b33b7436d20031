"""Decontaminate: drop seeds that contain benchmark text — a HumanEval(+)/MBPP(+) description or
solution, a DS-1000 or LiveCodeBench problem statement, or a field of any extra file listed.

Every hit (seed id, benchmark, task id, what matched, the matched text) is written to a JSON
Lines log artifact. Drop reason: ``contaminated``.
"""

from __future__ import annotations

import logging
from collections import Counter

from codealign import cli, io, logs
from codealign.algorithms.decontamination import benchmark_names, build
from codealign.records import Seed, schema, to_row
from codealign.stats import Stats

log = logging.getLogger("codealign.seeds.decontaminate")


def run(*, seeds: str, out: str, hits_path: str, stats_path: str, cfg: dict, benchmark_paths: dict) -> Stats:
    checker = build(cfg, benchmark_paths)
    log.info("%d benchmark strings to search for (%s)", len(checker.patterns), ", ".join(benchmark_names(cfg, benchmark_paths)))
    stats = Stats("seeds_decontaminate", unit_in="functions")
    hits = []
    by_benchmark: Counter = Counter()
    progress = logs.Progress(log, io.count_rows(seeds), "seeds")
    with io.ParquetShardWriter(out, schema(Seed)) as writer:  # streamed: the seeds are never all in memory
        for rows in io.iter_batches(seeds, batch_size=4096):
            kept = []
            for row in rows:
                stats.n_in += 1
                found = checker.hits(row["seed_id"], row["code"])
                if found:
                    stats.drop("contaminated")
                    hits.extend(found)
                    by_benchmark.update({h.benchmark for h in found})
                else:
                    kept.append(row)
            writer.write_rows(kept)
            progress.update(len(rows))
    io.write_jsonl(hits_path, (to_row(h) for h in hits))
    stats.n_out = writer.rows
    stats.extra["contaminated_by_benchmark"] = dict(sorted(by_benchmark.items()))
    stats.extra["benchmarks"] = benchmark_names(cfg, benchmark_paths) + [e.get("name") or e["path"] for e in cfg.get("extra", [])]
    return stats.save(stats_path)


ENTRY = cli.Entry(
    run,
    inputs={"seeds": "seeds"},
    outputs={"out": "clean", "hits_path": "hits", "stats_path": "stats"},
    config={"cfg": "seeds.decontamination", "benchmark_paths": "benchmarks"},
)

if __name__ == "__main__":
    ENTRY.main()
