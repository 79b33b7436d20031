"""Dedup: drop exact and near-duplicate seeds (MinHash LSH, Jaccard ≥ ``seeds.dedup.threshold``).

The first copy in corpus order is kept. Drop reasons: ``exact_duplicate``, ``near_duplicate``.
"""

from __future__ import annotations

import logging
import time

from codealign import cli, dedup, io, logs
from codealign.records import Seed, schema
from codealign.stats import Stats

log = logging.getLogger("codealign.seeds.dedup")


def run(*, seeds: str, out: str, stats_path: str, cfg: dict, log_file: str | None = None) -> Stats:
    logs.setup(log_file)
    rows = io.read_rows(seeds)
    stats = Stats("seeds_dedup", unit_in="functions", n_in=len(rows))
    texts = [r["code"] for r in rows]
    started = time.monotonic()
    exact = dedup.exact_duplicates(texts)
    near = dedup.near_duplicates(
        texts,
        threshold=cfg["threshold"],
        num_perm=cfg["num_perm"],
        ngram=cfg["ngram"],
        skip=[e is not None for e in exact],
    )
    kept = []
    for row, e, n in zip(rows, exact, near):
        if e is not None:
            stats.drop("exact_duplicate")
        elif n is not None:
            stats.drop("near_duplicate")
        else:
            kept.append(row)
    stats.extra["seconds"] = round(time.monotonic() - started, 2)
    io.write_rows(out, kept, schema(Seed))
    stats.n_out = len(kept)
    stats.save(stats_path)
    log.info(stats.summary())
    return stats


def main(argv: list[str] | None = None) -> None:
    p = cli.parser("Drop exact and near-duplicate seeds.")
    p.add_argument("--seeds", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--stats", required=True)
    args = p.parse_args(argv)
    run(seeds=args.seeds, out=args.out, stats_path=args.stats, cfg=cli.section(args, "seeds.dedup"), log_file=args.log)


if __name__ == "__main__":
    main()
