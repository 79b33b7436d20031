"""Corpus: stream source files from the configured sources into one Parquet shard.

Sources (``seeds.corpus.sources``, read in order):

``python``  the running interpreter's own sources — its standard library and, optionally, its
            site-packages: real code that nobody here wrote (the embedded default).
``files``   directories (searched for ``*.py``) or glob patterns.
``hf``      a Hugging Face dataset in The Stack v1 layout (a ``content`` column plus repo, path
            and license columns): local parquet/json files through ``datasets``, or a hub id
            on a machine that is online. Always streamed.

Documents are written in batches, never held all at once. Dropped, by reason: ``unreadable``,
``undecodable`` (bytes that are not text in the declared encoding), ``too_large``, ``empty``,
``duplicate_document`` (same text as an earlier document).
"""

from __future__ import annotations

import glob
import io as _io
import logging
import os
import sys
import sysconfig
import tokenize
from collections.abc import Iterator
from pathlib import Path

from codealign import cli, io, logs
from codealign.records import Document, content_id, schema
from codealign.stats import Stats

log = logging.getLogger("codealign.seeds.corpus")

STDLIB_LICENSE = "PSF-2.0"


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


def _file_items(source: dict, index: int) -> Iterator[tuple[str, str, str, str, Path]]:
    """(source label, repo, path, license, file) for file-based sources."""
    if source["kind"] == "python":
        paths = sysconfig.get_paths()
        stdlib = Path(paths["stdlib"])
        if source.get("stdlib", True):
            for f in _python_files(stdlib, exclude=("site-packages", "dist-packages")):
                yield "python:stdlib", f"python{sys.version_info.major}.{sys.version_info.minor}", str(f.relative_to(stdlib)), STDLIB_LICENSE, f
        if source.get("site_packages", False):
            for site in dict.fromkeys([paths["purelib"], paths["platlib"]]):
                root = Path(site)
                for f in _python_files(root):
                    rel = f.relative_to(root)
                    yield "python:site-packages", rel.parts[0], str(rel), "", f
    else:
        label = f"files:{index}"
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
                    yield label, "", str(f), "", f


def _hf_items(source: dict) -> Iterator[tuple[str, str, str, str, str | bytes]]:
    import datasets

    data_files = source.get("data_files")
    name = source.get("dataset")
    if not name:
        first = (data_files or [""])[0] if isinstance(data_files, list) else str(data_files)
        name = "json" if first.endswith((".json", ".jsonl", ".json.gz", ".jsonl.gz")) else "parquet"
    ds = datasets.load_dataset(
        name,
        data_files=data_files,
        data_dir=source.get("data_dir"),
        split=source.get("split", "train"),
        streaming=True,
    )
    cols = source.get("columns", {})
    content_col = cols.get("content", "content")
    label = f"hf:{source.get('dataset') or 'local'}"
    for row in ds:
        licenses = row.get(cols.get("license", "max_stars_repo_licenses"), "") or ""
        if isinstance(licenses, list):
            licenses = ",".join(licenses)
        yield (
            label,
            str(row.get(cols.get("repo", "max_stars_repo_name"), "") or ""),
            str(row.get(cols.get("path", "max_stars_repo_path"), "") or ""),
            str(licenses),
            row.get(content_col) or "",
        )


def iter_documents(cfg: dict, stats: Stats) -> Iterator[Document]:
    """Yield the corpus documents in a deterministic order, counting every drop in ``stats``."""
    seen: set[str] = set()
    max_bytes = cfg["max_file_bytes"]
    for index, source in enumerate(cfg["sources"]):
        limit = source.get("max_documents")
        taken = 0
        items = _hf_items(source) if source["kind"] == "hf" else _file_items(source, index)
        for label, repo, path, license_, payload in items:
            if limit is not None and taken >= limit:
                break
            stats.n_in += 1
            if isinstance(payload, Path):
                try:
                    size = payload.stat().st_size
                    if size > max_bytes:
                        stats.drop("too_large")
                        continue
                    data = payload.read_bytes()
                except OSError:
                    stats.drop("unreadable")
                    continue
                try:
                    text = decode_source(data)
                except (UnicodeDecodeError, SyntaxError, LookupError):
                    stats.drop("undecodable")
                    continue
            else:
                try:
                    text = payload.decode("utf-8", "strict") if isinstance(payload, bytes) else payload
                except UnicodeDecodeError:
                    stats.drop("undecodable")
                    continue
                if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
                    stats.drop("too_large")
                    continue
            if not text.strip():
                stats.drop("empty")
                continue
            doc_id = content_id(text)
            if doc_id in seen:
                stats.drop("duplicate_document")
                continue
            seen.add(doc_id)
            taken += 1
            stats.n_out += 1
            yield Document(doc_id=doc_id, source=label, repo=repo, path=path, license=license_, content=text)


def run(*, out: str, stats_path: str, cfg: dict, log_file: str | None = None) -> Stats:
    logs.setup(log_file)
    stats = Stats("seeds_corpus", unit_in="files", unit_out="files")
    batch_size = cfg["batch_documents"]
    batch: list[dict] = []
    with io.ParquetShardWriter(out, schema(Document)) as writer:
        for doc in iter_documents(cfg, stats):
            batch.append(doc.__dict__)
            if len(batch) >= batch_size:
                writer.write_rows(batch)
                batch.clear()
                log.info("%d documents so far", writer.rows)
        writer.write_rows(batch)
    stats.save(stats_path)
    log.info(stats.summary())
    return stats


def main(argv: list[str] | None = None) -> None:
    p = cli.parser("Stream the configured sources into the corpus shard.")
    p.add_argument("--out", required=True)
    p.add_argument("--stats", required=True)
    args = p.parse_args(argv)
    run(out=args.out, stats_path=args.stats, cfg=cli.section(args, "seeds.corpus"), log_file=args.log)


if __name__ == "__main__":
    main()
