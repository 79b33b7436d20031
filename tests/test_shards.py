"""The one gather: shards joined in order, stats merged by Stats.merge, row counts checked."""

import pyarrow as pa
import pytest

from codealign import io
from codealign.shards import gather, shard_stats_path
from codealign.stats import ShardMismatch, Stats

SCHEMA = pa.schema([("id", pa.string())])


def _shard(tmp_path, k, ids, **extra):
    path = tmp_path / f"shard-{k}.parquet"
    io.write_rows(path, [{"id": i} for i in ids], SCHEMA)
    stats = Stats("responses", unit_in="instructions", unit_out="responses", n_in=len(ids) + 1, n_out=len(ids))
    stats.extra.update(shard=k, shards=2, items=[0, 1], **extra)
    stats.save(shard_stats_path(path))
    return str(path), shard_stats_path(path)


def test_merge_sums_counts_and_recomputes_rates(tmp_path):
    a = _shard(
        tmp_path,
        0,
        ["a", "b"],
        generation={"completion_tokens": 100, "generation_seconds": 10.0, "tokens_per_second": 10.0},
        backend="vllm",
        median_duration_s=0.5,
    )
    b = _shard(
        tmp_path,
        1,
        ["c"],
        generation={"completion_tokens": 300, "generation_seconds": 10.0, "tokens_per_second": 30.0},
        backend="vllm",
        median_duration_s=0.7,
    )
    stats = gather(stage="responses", shards=[a[0], b[0]], shard_stats=[a[1], b[1]], out=tmp_path / "all.parquet", schema=SCHEMA)
    assert [r["id"] for r in io.read_rows(tmp_path / "all.parquet")] == ["a", "b", "c"]
    d = stats.to_dict()
    assert (d["in"], d["out"], d["shards"]) == (5, 3, 2)
    assert d["generation"]["tokens_per_second"] == 20.0  # 400 tokens / 20 s, not the mean of 10 and 30
    assert d["backend"] == "vllm"
    assert "median_duration_s" not in d and "items" not in d and "shard" not in d


def test_a_shard_whose_rows_disagree_with_its_stats_is_refused(tmp_path):
    a = _shard(tmp_path, 0, ["a", "b"])
    b = _shard(tmp_path, 1, ["c"])
    io.write_rows(b[0], [{"id": "c"}, {"id": "d"}], SCHEMA)  # two rows, its stats say one
    with pytest.raises(ShardMismatch, match="shard-1.parquet holds 2 rows but its stats count 1 out"):
        gather(stage="responses", shards=[a[0], b[0]], shard_stats=[a[1], b[1]], out=tmp_path / "all.parquet", schema=SCHEMA)
    assert not (tmp_path / "all.parquet").exists()  # nothing half-gathered is left behind


def test_merge_refuses_shards_of_different_units():
    parts = [Stats("x", unit_in="files").to_dict(), Stats("x", unit_in="functions").to_dict()]
    with pytest.raises(ShardMismatch, match="different units"):
        Stats.merge("x", parts)


def test_merge_keeps_the_description_of_the_shard_that_started_a_sandbox():
    idle = {**Stats("execution", unit_in="responses").to_dict(), "sandbox": {"isolation": None}, "executed": 0, "execution_seconds": 0}
    busy = {
        **Stats("execution", unit_in="responses", n_in=4, n_out=2).to_dict(),
        "dropped": {"fail": 2},
        "sandbox": {"isolation": "nsjail", "workers": 2},
        "executed": 4,
        "execution_seconds": 2.0,
        "programs_per_second": 2.0,
        "verdicts": {"pass": 2, "fail": 2},
        "pass_rate": 0.5,
    }
    merged = Stats.merge("execution", [idle, busy, busy])
    assert merged.extra["sandbox"] == {"isolation": "nsjail", "workers": 2}
    assert merged.extra["programs_per_second"] == 2.0 and merged.extra["pass_rate"] == 0.5
    assert merged.dropped == {"fail": 4} and merged.n_in == 8
