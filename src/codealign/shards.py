"""Shards: how a stage's items split into shards, and the one gather every sharded stage ends
with — shards joined in shard order into one file, their stats merged by :meth:`Stats.merge`,
every shard's row count checked against its own stats before the joined file is committed."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import pyarrow as pa

from codealign import io
from codealign.stats import ShardMismatch, Stats

log = logging.getLogger("codealign.shards")


def shard_bounds(n_items: int, shard: int, n_shards: int) -> tuple[int, int]:
    """Contiguous, near-equal slices: shard k gets items [start, end)."""
    if not 0 <= shard < n_shards:
        raise ValueError(f"shard {shard} out of range for {n_shards} shards")
    return n_items * shard // n_shards, n_items * (shard + 1) // n_shards


def shard_stats_path(shard: str | os.PathLike) -> str:
    """Where a shard's stats live beside it (``shard-3.parquet`` → ``shard-3.stats.json``): the
    one place that knows, for the command-line entry points (rules name both files)."""
    path = os.fspath(shard)
    if not path.endswith(".parquet"):
        raise ValueError(f"not a Parquet shard: {path}")
    return path[: -len(".parquet")] + ".stats.json"


def read_parts(shard_stats: Sequence[str | os.PathLike]) -> list[dict]:
    return [io.read_json(p) for p in shard_stats]


def merge_stats(stage: str, shard_stats: Sequence[str | os.PathLike], *, rows: int | None = None) -> Stats:
    """The merged stats of a stage's shards (for stages whose shards are not joined into one file)."""
    return Stats.merge(stage, read_parts(shard_stats), rows=rows)


def gather(
    *,
    stage: str,
    shards: Sequence[str | os.PathLike],
    shard_stats: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    schema: pa.Schema,
    rows_are: str = "out",
) -> Stats:
    """Join ``shards`` into ``out`` and return their merged stats (not yet saved). ``rows_are``
    names the count a shard's rows must match: ``out`` (what it kept), or ``in`` for a stage
    that writes a row for every input (execution's verdicts)."""
    if len(shards) != len(shard_stats):
        raise ShardMismatch(f"{stage}: {len(shards)} shard files but {len(shard_stats)} stats files")
    parts = read_parts(shard_stats)
    with io.ParquetShardWriter(out, schema) as writer:
        for path, part in zip(shards, parts):
            before = writer.rows
            writer.write_table(io.read_table(path))
            if writer.rows - before != part[rows_are]:
                raise ShardMismatch(
                    f"{stage}: {os.fspath(path)} holds {writer.rows - before} rows but its stats count {part[rows_are]} {rows_are}"
                )
    stats = Stats.merge(stage, parts, rows=writer.rows, rows_are=rows_are)
    log.info("gathered %d shards: %d rows", len(shards), writer.rows)
    return stats
