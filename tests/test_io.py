"""Shards are written atomically and carry a checksum and row count that readers verify."""

import pyarrow as pa
import pytest

from codealign import io
from codealign.records import Seed, schema


def rows(n):
    return [{"a": i, "b": f"text {i}"} for i in range(n)]


SCHEMA = pa.schema([("a", pa.int64()), ("b", pa.string())])


def test_round_trip_and_row_count(tmp_path):
    path = tmp_path / "x.parquet"
    assert io.write_rows(path, rows(100), SCHEMA) == 100
    assert io.count_rows(path) == 100
    assert io.read_rows(path) == rows(100)


def test_streaming_writer_counts_every_batch(tmp_path):
    path = tmp_path / "x.parquet"
    with io.ParquetShardWriter(path, SCHEMA) as writer:
        for start in range(0, 1000, 128):
            writer.write_rows(rows(1000)[start : start + 128])
    assert io.count_rows(path) == 1000
    assert sum(len(b) for b in io.iter_batches(path, batch_size=100)) == 1000


def test_truncated_shard_is_detected(tmp_path):
    path = tmp_path / "x.parquet"
    io.write_rows(path, rows(1000), SCHEMA)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(io.CorruptShardError, match="footer"):
        io.read_table(path)


def test_flipped_byte_in_the_data_is_detected(tmp_path):
    path = tmp_path / "x.parquet"
    io.write_rows(path, rows(1000), SCHEMA)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(io.CorruptShardError, match="checksum"):
        io.read_rows(path)


def test_parquet_not_written_by_codealign_is_refused(tmp_path):
    import pyarrow.parquet as pq

    path = tmp_path / "x.parquet"
    pq.write_table(pa.Table.from_pylist(rows(3), schema=SCHEMA), path)
    with pytest.raises(io.CorruptShardError, match="no codealign checksum"):
        io.verify(path)


def test_failed_write_leaves_no_file(tmp_path):
    path = tmp_path / "x.parquet"
    with pytest.raises(RuntimeError):
        with io.ParquetShardWriter(path, SCHEMA) as writer:
            writer.write_rows(rows(10))
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_the_previous_file(tmp_path):
    path = tmp_path / "x.parquet"
    io.write_rows(path, rows(5), SCHEMA)
    with pytest.raises(RuntimeError):
        with io.ParquetShardWriter(path, SCHEMA) as writer:
            writer.write_rows(rows(10))
            raise RuntimeError("killed")
    assert io.count_rows(path) == 5


def test_empty_shard_keeps_its_columns(tmp_path):
    path = tmp_path / "seeds.parquet"
    io.write_rows(path, [], schema(Seed))
    table = io.read_table(path)
    assert table.num_rows == 0 and "seed_id" in table.column_names


def test_small_writes_are_buffered_into_bounded_row_groups(tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from codealign import io as cio

    monkeypatch.setattr(cio, "ROW_GROUP_ROWS", 1000)
    schema = pa.schema([("x", pa.int64())])
    with cio.ParquetShardWriter(tmp_path / "s.parquet", schema) as w:
        for start in range(0, 5000, 64):  # 79 writes of 64 rows, as extraction writes
            w.write_rows({"x": i} for i in range(start, min(start + 64, 5000)))
    meta = pq.ParquetFile(tmp_path / "s.parquet").metadata
    assert meta.num_row_groups <= 6 and max(meta.row_group(i).num_rows for i in range(meta.num_row_groups)) <= 1000
    assert [r["x"] for r in cio.read_rows(tmp_path / "s.parquet")] == list(range(5000))
