"""Dedup: drop repeated, exact and near-duplicate seeds across every shard of the seed stage.

Each shard's job computes, per seed, the key exact duplicates share and its MinHash signature
(:func:`run_signatures`); one gather then visits the shards in order, keeping the first copy in
corpus order (:func:`run_gather`). Drop reasons: ``repeated_function`` (the same function text,
extracted in two shards), ``exact_duplicate`` (equal up to whitespace, imports included),
``near_duplicate`` (MinHash LSH, Jaccard ≥ ``seeds.dedup.threshold``). The gather holds the
ids, keys and the kept signatures — never the code — and then streams the kept rows through.
"""

from __future__ import annotations

import logging
import time

import pyarrow as pa

from codealign import cli, io
from codealign.algorithms import dedup
from codealign.records import Seed, schema
from codealign.shards import merge_stats
from codealign.stats import Stats

log = logging.getLogger("codealign.seeds.dedup")

SIGNATURE_SCHEMA = pa.schema([("seed_id", pa.string()), ("exact", pa.binary()), ("signature", pa.binary())])


def run_signatures(*, seeds: str, out: str, cfg: dict) -> int:
    """One shard's exact keys and MinHash signatures, a row per seed, in the seeds' order."""
    with io.ParquetShardWriter(out, SIGNATURE_SCHEMA) as writer:
        for rows in io.iter_batches(seeds, batch_size=4096, columns=["seed_id", "code"]):
            writer.write_rows(
                {
                    "seed_id": r["seed_id"],
                    "exact": dedup.exact_key(r["code"]),
                    "signature": dedup.signature(r["code"], num_perm=cfg["num_perm"], ngram=cfg["ngram"]),
                }
                for r in rows
            )
    log.info("%d signatures (%d permutations each)", writer.rows, cfg["num_perm"])
    return writer.rows


def keep_masks(signature_shards: list[str], cfg: dict, stats: Stats) -> list[list[bool]]:
    """Per shard, per seed: whether it is the first copy, visiting the shards in order."""
    seen_ids: set[str] = set()
    seen_exact: set[bytes] = set()
    near = dedup.NearDuplicates(threshold=cfg["threshold"], num_perm=cfg["num_perm"])
    masks, index = [], 0
    for path in signature_shards:
        mask = []
        for rows in io.iter_batches(path, batch_size=8192):
            for r in rows:
                stats.n_in += 1
                reason = None
                if r["seed_id"] in seen_ids:
                    reason = "repeated_function"
                elif r["exact"] in seen_exact:
                    reason = "exact_duplicate"
                elif r["signature"] is not None and near.check(index, r["signature"]) is not None:
                    reason = "near_duplicate"
                seen_ids.add(r["seed_id"])
                seen_exact.add(r["exact"])
                index += 1
                if reason:
                    stats.drop(reason)
                mask.append(reason is None)
        masks.append(mask)
    return masks


def run_gather(*, shards: list[str], signatures: list[str], shard_stats: list[str], out: str, stats_path: str, cfg: dict) -> Stats:
    filtered = merge_stats("seeds_filter", shard_stats)
    stats = Stats("seeds_dedup", unit_in="functions")
    started = time.monotonic()
    masks = keep_masks(signatures, cfg, stats)
    if stats.n_in != filtered.n_out:
        raise io.CorruptShardError(signatures[0], f"{stats.n_in} signatures but the filter shards kept {filtered.n_out} seeds")
    with io.ParquetShardWriter(out, schema(Seed)) as writer:
        for path, mask in zip(shards, masks):
            table = io.read_table(path)
            if table.num_rows != len(mask):
                raise io.CorruptShardError(path, f"{table.num_rows} seeds but {len(mask)} signatures")
            writer.write_table(table.filter(pa.array(mask, type=pa.bool_())))
    stats.n_out = writer.rows
    stats.extra.update(seconds=round(time.monotonic() - started, 2), shards=len(shards))
    return stats.save(stats_path)


SIGNATURES = cli.Entry(run_signatures, inputs={"seeds": "seeds"}, outputs={"out": "signatures"}, config={"cfg": "seeds.dedup"})
GATHER = cli.Entry(
    run_gather,
    inputs={"shards": "shards", "signatures": "signatures", "shard_stats": "shard_stats"},
    outputs={"out": "seeds", "stats_path": "stats"},
    config={"cfg": "seeds.dedup"},
)
ENTRIES = {"signatures": SIGNATURES, "gather": GATHER}

if __name__ == "__main__":
    cli.main(ENTRIES, prog="python -m codealign.seeds.dedup")
