"""Shard I/O: atomic writes, row counts and checksums carried inside every Parquet file.

A Parquet shard written here carries two footer keys: ``codealign.rows`` and
``codealign.sha256``, the SHA-256 of every byte before the footer (the data pages). The footer
cannot hash itself, so the check covers exactly the bytes a reader decodes. Every reader in
the package goes through :func:`read_table` / :func:`iter_batches`, which verify both first: a
truncated, half-written or bit-flipped shard raises :class:`CorruptShardError` instead of
being read short.

Every output is written to a temporary file beside its target, fsynced, then renamed, so a
killed job leaves either the old file, the new file, or nothing.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import struct
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

ROWS_KEY = b"codealign.rows"
SHA_KEY = b"codealign.sha256"


class CorruptShardError(IOError):
    """A shard that is truncated, not Parquet, or whose content does not match its checksum."""

    def __init__(self, path: str | os.PathLike, reason: str):
        super().__init__(f"corrupt shard {os.fspath(path)}: {reason} (delete it and rerun the rule that wrote it)")
        self.path = os.fspath(path)
        self.reason = reason


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success fsync it and rename it into place."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
        _fsync_dir(target.parent)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Atomically write a text file."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Atomically write ``obj`` as indented, key-sorted JSON (stable diffs)."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    with open(path) as fh:
        return json.load(fh)


def write_jsonl(path: str | os.PathLike, rows: Iterable[Mapping]) -> int:
    """Atomically write one JSON object per line; return the number of rows."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")
            n += 1
    return n


def write_jsonl_gz(path: str | os.PathLike, rows: Iterable[Mapping]) -> int:
    """Atomically write gzipped JSON Lines with no name and no time in the gzip header, so that
    the same rows always give the same bytes; return the number of rows."""
    n = 0
    with atomic_path(path) as tmp, open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz:
            for row in rows:
                gz.write((json.dumps(row) + "\n").encode())
                n += 1
    return n


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


class _HashingSink(io.RawIOBase):
    """A write-only file object that hashes what passes through it."""

    def __init__(self, fh):
        self._fh = fh
        self.sha = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.sha.update(data)
        return self._fh.write(data)

    def flush(self) -> None:
        self._fh.flush()


ROW_GROUP_ROWS = 65536
ROW_GROUP_BYTES = 64 << 20


class ParquetShardWriter:
    """Stream record batches into an atomically committed, checksummed Parquet shard.

    Small writes are buffered into row groups of up to ``ROW_GROUP_ROWS`` rows or
    ``ROW_GROUP_BYTES`` bytes, so a shard written 64 rows at a time still has few row groups
    and a small footer, and a reader's memory stays bounded by one row group.

    >>> with ParquetShardWriter("out.parquet", schema) as w:   # doctest: +SKIP
    ...     w.write_rows(rows)
    """

    def __init__(self, path: str | os.PathLike, schema: pa.Schema, *, metadata: Mapping[str, str] | None = None):
        self.path = Path(path)
        self.schema = schema
        self.metadata = dict(metadata or {})
        self.rows = 0
        self._stack = contextlib.ExitStack()
        self._buffer: list[pa.Table] = []
        self._buffered_rows = 0
        self._buffered_bytes = 0

    def __enter__(self) -> ParquetShardWriter:
        tmp = self._stack.enter_context(atomic_path(self.path))
        self._fh = self._stack.enter_context(open(tmp, "wb"))
        self._sink = _HashingSink(self._fh)
        self._writer = pq.ParquetWriter(pa.PythonFile(self._sink, mode="w"), self.schema, compression="zstd")
        return self

    def write_table(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        table = table.cast(self.schema) if table.schema != self.schema else table
        self.rows += table.num_rows
        self._buffer.append(table)
        self._buffered_rows += table.num_rows
        self._buffered_bytes += table.nbytes
        if self._buffered_rows >= ROW_GROUP_ROWS or self._buffered_bytes >= ROW_GROUP_BYTES:
            self._flush(final=False)

    def _flush(self, final: bool = True) -> None:
        """Write the buffer as row groups of the bounded size; keep a short remainder unless final."""
        if not self._buffer:
            return
        table = pa.concat_tables(self._buffer)
        per_group = max(1, min(ROW_GROUP_ROWS, table.num_rows * ROW_GROUP_BYTES // max(table.nbytes, 1)))
        whole = table.num_rows if final else table.num_rows - table.num_rows % per_group
        if whole:
            self._writer.write_table(table.slice(0, whole), row_group_size=per_group)
        rest = table.slice(whole)
        self._buffer = [rest] if rest.num_rows else []
        self._buffered_rows, self._buffered_bytes = rest.num_rows, rest.nbytes if rest.num_rows else 0

    def write_rows(self, rows: Iterable[Mapping]) -> None:
        rows = list(rows)
        if rows:
            self.write_table(pa.Table.from_pylist(rows, schema=self.schema))

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            if exc_type is None:
                self._flush()
                self._writer.add_key_value_metadata(
                    {ROWS_KEY.decode(): str(self.rows), SHA_KEY.decode(): self._sink.sha.hexdigest(), **self.metadata}
                )
            self._writer.close()
        finally:
            # On error the ExitStack removes the temporary file; on success it renames it.
            self._stack.__exit__(exc_type, exc, tb)
        return False


def write_table(path: str | os.PathLike, table: pa.Table, *, metadata: Mapping[str, str] | None = None) -> int:
    """Atomically write a whole table as one checksummed shard; return its row count."""
    with ParquetShardWriter(path, table.schema, metadata=metadata) as writer:
        writer.write_table(table)
    return writer.rows


def write_rows(path: str | os.PathLike, rows: Iterable[Mapping], schema: pa.Schema, **kw) -> int:
    """Atomically write dict rows with an explicit schema (an empty shard keeps its columns)."""
    return write_table(path, pa.Table.from_pylist(list(rows), schema=schema), **kw)


def verify(path: str | os.PathLike) -> int:
    """Check a shard's footer, checksum and row count; return the row count."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"shard not found: {path}")
    size = path.stat().st_size
    with open(path, "rb") as fh:
        if size < 12:
            raise CorruptShardError(path, "too short to be Parquet")
        fh.seek(size - 8)
        footer_len, magic = struct.unpack("<I4s", fh.read(8))
        if magic != b"PAR1" or footer_len + 12 > size:
            raise CorruptShardError(path, "no Parquet footer (truncated or not Parquet)")
        try:
            meta = pq.ParquetFile(path).metadata
        except Exception as err:  # pyarrow raises several types for a damaged footer
            raise CorruptShardError(path, f"unreadable footer: {err}") from err
        kv = meta.metadata or {}
        if SHA_KEY not in kv or ROWS_KEY not in kv:
            raise CorruptShardError(path, "no codealign checksum in the footer (not written by codealign)")
        fh.seek(0)
        sha = hashlib.sha256()
        remaining = size - 8 - footer_len
        while remaining:
            block = fh.read(min(remaining, 1 << 20))
            if not block:
                raise CorruptShardError(path, "file ended early")
            sha.update(block)
            remaining -= len(block)
    if sha.hexdigest() != kv[SHA_KEY].decode():
        raise CorruptShardError(path, "checksum mismatch")
    rows = int(kv[ROWS_KEY])
    if rows != meta.num_rows:
        raise CorruptShardError(path, f"row count {meta.num_rows} differs from the recorded {rows}")
    return rows


def read_table(path: str | os.PathLike, columns: list[str] | None = None) -> pa.Table:
    """Verify, then read a shard (optionally only some columns)."""
    verify(path)
    return pq.read_table(path, columns=columns)


def read_rows(path: str | os.PathLike, columns: list[str] | None = None) -> list[dict]:
    return read_table(path, columns).to_pylist()


def iter_batches(path: str | os.PathLike, batch_size: int = 4096, columns: list[str] | None = None) -> Iterator[list[dict]]:
    """Verify, then stream a shard as lists of row dicts (constant memory in the shard size)."""
    verify(path)
    pf = pq.ParquetFile(path)
    for batch in pf.iter_batches(batch_size=batch_size, columns=columns):
        yield batch.to_pylist()


def count_rows(path: str | os.PathLike) -> int:
    return verify(path)


def file_sha256(path: str | os.PathLike) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()
