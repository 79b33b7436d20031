"""Caches keyed by content that make long sharded jobs resumable and re-shardable.

A cache is a folder that holds only cache files. Each shard job writes its own *journal*
(``shard-3-of-8.jsonl``: one ``{"key": ..., "value": ...}`` line per finished item, appended and
fsynced a batch at a time; a line torn by a kill is ignored on the next read). When the shard's
work is done the journal is *compacted*: rewritten as ``shard-3-of-8.compact.parquet`` holding
exactly the entries that shard used — entries a changed setting left behind are dropped, so the
cache does not grow without bound — and removed.

The key is the content (the request with everything that changes its outputs, or the program
with its limits), never the shard index: a job loads the entries of *its* keys from every file
in the folder, whichever sharding wrote them (CodeOcean's generator–discriminator, whose
requests are not known up front, loads every entry). Re-sharding a stage therefore regenerates nothing
already done. Loading reads the key column of each compacted file and only the row groups that
hold one of the job's keys. A cache file that cannot be read is skipped with a warning (its
entries are recomputed: a cache can cost time, never correctness).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from codealign import io

log = logging.getLogger("codealign.cache")

COMPACT_SUFFIX = ".compact.parquet"
COMPACT_SCHEMA = pa.schema([("key", pa.string()), ("value", pa.string())])


def compact_path(journal: Path) -> Path:
    return journal.with_name(journal.name[: -len(".jsonl")] + COMPACT_SUFFIX)


class JsonlCache:
    """The cache entries of ``keys`` (every entry in the folder when None), read from every cache
    file beside ``path``; new entries go to the journal ``path``."""

    def __init__(self, path: str | os.PathLike, keys: Iterable[str] | None = None):
        self.path = Path(path)
        if self.path.suffix != ".jsonl":
            raise ValueError(f"a cache journal is a .jsonl file: {self.path}")
        self.wanted = None if keys is None else set(keys)
        self.entries: dict[str, Any] = {}
        self.torn = 0
        folder = self.path.parent
        if folder.is_dir():
            for compacted in sorted(folder.glob("*" + COMPACT_SUFFIX)):
                self._load_compacted(compacted)
            for journal in sorted(folder.glob("*.jsonl")):
                self._load_journal(journal, own=journal == self.path)

    def _wants(self, key: str) -> bool:
        return key not in self.entries and (self.wanted is None or key in self.wanted)

    def _load_compacted(self, path: Path) -> None:
        try:
            pf = pq.ParquetFile(path)
            for group in range(pf.num_row_groups):
                keys = pf.read_row_group(group, columns=["key"]).column("key").to_pylist()
                hits = [i for i, k in enumerate(keys) if self._wants(k)]
                if not hits:
                    continue
                values = pf.read_row_group(group, columns=["value"]).column("value")
                for i in hits:
                    self.entries[keys[i]] = self.decode(json.loads(values[i].as_py()))
        except Exception as err:  # a damaged cache file costs recomputation, never the job
            log.warning("%s: unreadable cache file skipped (%s)", path, err)

    def _load_journal(self, path: Path, own: bool) -> None:
        torn = 0
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                    if self._wants(entry["key"]):
                        self.entries[entry["key"]] = self.decode(entry["value"])
                except (json.JSONDecodeError, KeyError, TypeError):
                    torn += 1
        if torn and own:
            self.torn = torn
            log.warning("%s: ignored %d torn line(s) left by an interrupted run", path, torn)

    def decode(self, value: Any) -> Any:
        return value

    def encode(self, value: Any) -> Any:
        return value

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def __getitem__(self, key: str) -> Any:
        return self.entries[key]

    def __len__(self) -> int:
        return len(self.entries)

    def put_many(self, items: list[tuple[str, Any]]) -> None:
        """Append finished items to the journal and make them durable before returning."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = "".join(json.dumps({"key": k, "value": self.encode(v)}, ensure_ascii=False) + "\n" for k, v in items)
        with open(self.path, "a", encoding="utf-8") as fh:
            if fh.tell() and not self._ends_with_newline():
                fh.write("\n")  # a torn last line stays on its own line
            fh.write(lines)
            fh.flush()
            os.fsync(fh.fileno())
        for key, value in items:
            self.entries[key] = value

    def compact(self, keys: Iterable[str]) -> int:
        """Rewrite this job's entries as its compacted file, holding only ``keys`` (the ones its
        output used), and remove its journal. Returns the number of entries kept."""
        kept = [k for k in dict.fromkeys(keys) if k in self.entries]
        rows = ({"key": k, "value": json.dumps(self.encode(self.entries[k]), ensure_ascii=False)} for k in kept)
        with io.ParquetShardWriter(compact_path(self.path), COMPACT_SCHEMA) as writer:
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) == 4096:
                    writer.write_rows(batch)
                    batch = []
            writer.write_rows(batch)
        self.path.unlink(missing_ok=True)
        return len(kept)

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"
