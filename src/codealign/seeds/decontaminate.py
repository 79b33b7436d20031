"""Decontaminate: drop seeds that contain benchmark text — a HumanEval(+)/MBPP(+) description or
solution, a DS-1000 or LiveCodeBench problem statement, or a field of any extra file listed.

Every hit (seed id, benchmark, task id, what matched, the matched text) is written to a JSON
Lines log artifact. Drop reason: ``contaminated``.
"""

from __future__ import annotations

import logging
from collections import Counter

from codealign import benchmarks, cli, io, logs
from codealign.decontam import Decontaminator
from codealign.records import Seed, schema, to_row
from codealign.stats import Stats

log = logging.getLogger("codealign.seeds.decontaminate")


def benchmark_names(cfg: dict, benchmark_paths: dict) -> list[str]:
    """The benchmarks decontaminated against: those listed, or (``all``) every one that names a file."""
    if cfg["benchmarks"] == "all":
        return [name for name in benchmarks.LOADERS if benchmark_paths.get(name)]
    return list(cfg["benchmarks"])


def build(cfg: dict, benchmark_paths: dict) -> Decontaminator:
    """A decontaminator over the benchmarks ``cfg`` names (paths from the ``benchmarks`` section)
    and its extra files."""
    tasks = []
    for name in benchmark_names(cfg, benchmark_paths):
        path = benchmark_paths.get(name)
        if not path:
            raise ValueError(f"seeds.decontamination.benchmarks: {name!r} has no file: set benchmarks.{name}")
        tasks += benchmarks.load(name, path)
    for extra in cfg.get("extra", []):
        tasks += benchmarks.load_fields(extra["path"], extra["fields"], extra.get("name"))
    ngram = cfg["ngram"]["n"] if cfg["ngram"]["enabled"] else None
    return Decontaminator(tasks, whitelist=cfg["whitelist"], ngram=ngram)


def run(*, seeds: str, out: str, hits_path: str, stats_path: str, cfg: dict, benchmark_paths: dict, log_file: str | None = None) -> Stats:
    logs.setup(log_file)
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
    stats.save(stats_path)
    log.info(stats.summary())
    return stats


def main(argv: list[str] | None = None) -> None:
    p = cli.parser("Drop seeds that contain benchmark text.")
    p.add_argument("--seeds", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--hits", required=True)
    p.add_argument("--stats", required=True)
    args = p.parse_args(argv)
    cfg = cli.full(args)
    run(seeds=args.seeds, out=args.out, hits_path=args.hits, stats_path=args.stats,
        cfg=cfg["seeds"]["decontamination"], benchmark_paths=cfg["benchmarks"], log_file=args.log)


if __name__ == "__main__":
    main()
