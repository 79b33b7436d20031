"""Corpus: the configured sources as a manifest of files, read where they lie.

Sources (``seeds.corpus.sources``, in order):

``python``  the running interpreter's own sources — its standard library and, optionally, its
            site-packages: real code that nobody here wrote (the embedded default).
``files``   directories (searched for ``*.py``) or glob patterns.
``hf``      a dataset in The Stack v1 layout (a ``content`` column plus repo, path and license
            columns): local Parquet or JSON Lines data files (``data_files``, globs), a local
            dataset folder (``dataset`` + ``data_dir``), or a hub id on an online machine
            (``hf://`` paths through ``huggingface_hub``).

:func:`manifest` lists every *unit* — one source file, or one data file of a dataset with its row
count from the Parquet footer — in a deterministic order; nothing is copied. The seed stage's
shards are contiguous ranges of units (:func:`codealign.shards.shard_bounds`), and
:func:`read_units` streams the documents of a range, reading only the four columns it needs from
a data file, one row batch at a time.

Dropped, by reason: ``unreadable``, ``undecodable`` (bytes that are not text in the declared
encoding), ``too_large``, ``empty``, ``duplicate_document`` (the same text as an earlier document
of the same part: the seed stage's cross-shard dedup catches the rest at the function level).
"""

from __future__ import annotations

import glob
import gzip
import io as _io
import json
import logging
import os
import sys
import sysconfig
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from codealign import cli, io
from codealign.records import Document, content_id, to_row
from codealign.stats import Stats

log = logging.getLogger("codealign.seeds.corpus")

STDLIB_LICENSE = "PSF-2.0"
COLUMNS = {"content": "content", "repo": "max_stars_repo_name", "path": "max_stars_repo_path", "license": "max_stars_repo_licenses"}
READ_BATCH_ROWS = 1024  # rows of a data file decoded at once


@dataclass(frozen=True)
class Unit:
    """One file of the corpus: a source file (``file``) or a data file of a dataset (``parquet``,
    ``json``), whose first ``rows`` rows are read (all of them unless ``max_documents`` cut it)."""

    source: int  # index in seeds.corpus.sources
    label: str  # 'python:stdlib', 'files:0', 'hf:bigcode/the-stack-dedup' …
    kind: str
    path: str
    repo: str = ""
    rel_path: str = ""
    license: str = ""
    rows: int = 1


UNIT_SCHEMA = pa.schema([(name, pa.int64() if name in ("source", "rows") else pa.string()) for name in Unit.__dataclass_fields__])


def decode_source(data: bytes) -> str:
    """Decode Python source honouring its coding cookie (PEP 263); UTF-8 by default."""
    encoding, _ = tokenize.detect_encoding(_io.BytesIO(data).readline)
    text = data.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


def _python_files(root: Path, *, exclude: tuple[str, ...] = ()) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in exclude and d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield Path(dirpath) / name


def _file_units(source: dict, index: int) -> Iterator[Unit]:
    if source["kind"] == "python":
        paths = sysconfig.get_paths()
        stdlib = Path(paths["stdlib"])
        if source.get("stdlib", True):
            for f in _python_files(stdlib, exclude=("site-packages", "dist-packages")):
                yield Unit(
                    index,
                    "python:stdlib",
                    "file",
                    str(f),
                    f"python{sys.version_info.major}.{sys.version_info.minor}",
                    str(f.relative_to(stdlib)),
                    STDLIB_LICENSE,
                )
        if source.get("site_packages", False):
            for site in dict.fromkeys([paths["purelib"], paths["platlib"]]):
                root = Path(site)
                for f in _python_files(root):
                    rel = f.relative_to(root)
                    yield Unit(index, "python:site-packages", "file", str(f), rel.parts[0], str(rel))
        return
    seen: set[Path] = set()
    for pattern in source["paths"]:
        expanded = os.path.expanduser(pattern)
        if os.path.isdir(expanded):
            matches = list(_python_files(Path(expanded)))
        else:
            matches = sorted(Path(p) for p in glob.glob(expanded, recursive=True) if os.path.isfile(p))
        for f in matches:
            if f not in seen:
                seen.add(f)
                yield Unit(index, f"files:{index}", "file", str(f), "", str(f))


def _data_kind(path: str) -> str:
    return "json" if path.endswith((".json", ".jsonl", ".json.gz", ".jsonl.gz")) else "parquet"


def _hub_files(dataset: str, data_dir: str | None) -> list[str]:
    from huggingface_hub import HfFileSystem  # online machines only

    root = f"datasets/{dataset}" + (f"/{data_dir.strip('/')}" if data_dir else "")
    return sorted(f"hf://{p}" for p in HfFileSystem().glob(f"{root}/**/*.parquet"))


def data_files(source: dict) -> list[str]:
    """The data files of an ``hf`` source, sorted: its ``data_files`` globs, else the Parquet files
    of a local dataset folder, else of a hub dataset."""
    if source.get("data_files"):
        found = []
        for pattern in source["data_files"]:
            found += sorted(glob.glob(os.path.expanduser(pattern), recursive=True)) if not pattern.startswith("hf://") else [pattern]
        return list(dict.fromkeys(found))
    dataset, data_dir = source["dataset"], source.get("data_dir")
    local = Path(os.path.expanduser(dataset)) / (data_dir or "")
    if local.is_dir():
        return sorted(str(p) for p in local.rglob("*.parquet"))
    return _hub_files(dataset, data_dir)


def _open(path: str):
    if path.startswith("hf://"):
        from huggingface_hub import HfFileSystem

        return HfFileSystem().open(path[len("hf://") :], "rb")
    return open(path, "rb")


def _rows_in(path: str, kind: str) -> int:
    if kind == "parquet":
        with _open(path) as fh:
            return pq.ParquetFile(fh).metadata.num_rows
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def manifest(cfg: dict) -> list[Unit]:
    """Every unit of every source, in order, cut at each source's ``max_documents``."""
    units: list[Unit] = []
    for index, source in enumerate(cfg["sources"]):
        limit = source.get("max_documents")
        taken = 0
        if source["kind"] == "hf":
            label = f"hf:{source.get('dataset') or 'local'}"
            files = data_files(source)
            if not files:
                raise FileNotFoundError(f"seeds.corpus.sources[{index}]: no data files found")
            for path in files:
                kind = _data_kind(path)
                rows = _rows_in(path, kind)
                if limit is not None:
                    rows = min(rows, limit - taken)
                if rows > 0:
                    units.append(Unit(index, label, kind, path, rows=rows))
                    taken += rows
                if limit is not None and taken >= limit:
                    break
        else:
            for unit in _file_units(source, index):
                if limit is not None and taken >= limit:
                    break
                units.append(unit)
                taken += 1
    return units


def write_manifest(path: str | os.PathLike, units: list[Unit]) -> None:
    io.write_rows(path, [to_row(u) for u in units], UNIT_SCHEMA)


def read_manifest(path: str | os.PathLike) -> list[Unit]:
    return [Unit(**row) for row in io.read_rows(path)]


def _joined(licenses) -> str:
    if isinstance(licenses, (list, tuple)):
        return ",".join(str(x) for x in licenses)
    return str(licenses or "")


def _data_rows(unit: Unit, source: dict) -> Iterator[tuple[str, str, str, str | bytes]]:
    """(repo, path, license, content) of a data file's first ``unit.rows`` rows, reading only those columns."""
    cols = {**COLUMNS, **source.get("columns", {})}
    left = unit.rows
    if unit.kind == "json":
        opener = gzip.open if unit.path.endswith(".gz") else open
        with opener(unit.path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                if left <= 0:
                    return
                left -= 1
                row = json.loads(line)
                yield (
                    str(row.get(cols["repo"]) or ""),
                    str(row.get(cols["path"]) or ""),
                    _joined(row.get(cols["license"])),
                    row.get(cols["content"]) or "",
                )
        return
    with _open(unit.path) as fh:
        pf = pq.ParquetFile(fh)
        present = set(pf.schema_arrow.names)
        if cols["content"] not in present:
            raise KeyError(
                f"seeds.corpus.sources[{unit.source}].columns.content: {unit.path} has no column {cols['content']!r} "
                f"(it has {sorted(present)})"
            )
        wanted = [c for c in dict.fromkeys(cols.values()) if c in present]
        for batch in pf.iter_batches(batch_size=READ_BATCH_ROWS, columns=wanted):
            data = batch.to_pydict()
            n = min(batch.num_rows, left)
            for i in range(n):
                yield (
                    str((data.get(cols["repo"]) or [""] * n)[i] or ""),
                    str((data.get(cols["path"]) or [""] * n)[i] or ""),
                    _joined((data.get(cols["license"]) or [""] * n)[i]),
                    data[cols["content"]][i] or "",
                )
            left -= n
            if left <= 0:
                return


def _text_of_file(unit: Unit, max_bytes: int) -> tuple[str | None, str | None]:
    try:
        if os.stat(unit.path).st_size > max_bytes:
            return None, "too_large"
        data = Path(unit.path).read_bytes()
    except OSError:
        return None, "unreadable"
    try:
        return decode_source(data), None
    except (UnicodeDecodeError, SyntaxError, LookupError):
        return None, "undecodable"


def _text_of_payload(payload: str | bytes, max_bytes: int) -> tuple[str | None, str | None]:
    try:
        text = payload.decode("utf-8", "strict") if isinstance(payload, bytes) else payload
    except UnicodeDecodeError:
        return None, "undecodable"
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        return None, "too_large"
    return text, None


def read_units(units: list[Unit], cfg: dict, stats: Stats) -> Iterator[Document]:
    """The documents of ``units`` in order, every file counted in ``stats`` (read or dropped by reason)."""
    seen: set[str] = set()
    max_bytes = cfg["max_file_bytes"]
    for unit in units:
        if unit.kind == "file":
            items = [(unit.repo, unit.rel_path, unit.license, None)]
        else:
            items = _data_rows(unit, cfg["sources"][unit.source])
        for repo, path, license_, payload in items:
            stats.n_in += 1
            text, reason = _text_of_file(unit, max_bytes) if payload is None else _text_of_payload(payload, max_bytes)
            if reason is None and not text.strip():
                reason = "empty"
            if reason is None:
                doc_id = content_id(text)
                if doc_id in seen:
                    reason = "duplicate_document"
            if reason:
                stats.drop(reason)
                continue
            seen.add(doc_id)
            stats.n_out += 1
            yield Document(doc_id=doc_id, source=unit.label, repo=repo, path=path, license=license_, content=text)


def iter_documents(cfg: dict, stats: Stats) -> Iterator[Document]:
    """Every document of the corpus, in manifest order (one part: a test's and a bench's view)."""
    yield from read_units(manifest(cfg), cfg, stats)


def run(*, out: str, cfg: dict) -> list[Unit]:
    """Write the corpus manifest: the units the seed stage's shards divide among them."""
    units = manifest(cfg)
    write_manifest(out, units)
    by_kind: dict[str, int] = {}
    for u in units:
        by_kind[u.kind] = by_kind.get(u.kind, 0) + u.rows
    log.info("corpus manifest: %d files (%s documents by kind)", len(units), by_kind)
    return units


ENTRY = cli.Entry(run, outputs={"out": "manifest"}, config={"cfg": "seeds.corpus"})

if __name__ == "__main__":
    ENTRY.main()
