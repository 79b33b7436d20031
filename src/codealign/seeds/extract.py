"""Extract: top-level functions whose first statement is a docstring, with the facts filters need.

Each file is parsed once; while its tree is at hand we record what the rule filters ask about
(argument count, length, whether a value is returned) and which of the file's own imports the
function uses, so that filtering never parses files again. Dropped documents, by reason:
``syntax_error``, ``null_bytes``, ``too_deep`` (nesting that exhausts the parser).
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import json
import logging
import os
import re
import shutil
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from codealign import cli, io, logs, parallel
from codealign.records import Document, Seed, content_id, from_row, schema, to_row
from codealign.seeds import corpus
from codealign.shards import shard_bounds
from codealign.stats import Stats

log = logging.getLogger("codealign.seeds.extract")

BUILTINS = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__", "__builtins__", "__spec__", "__debug__"}
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


@dataclass(frozen=True)
class ImportBinding:
    """A name bound by an import statement: ``from module import name as asname`` or ``import module``."""

    module: str
    name: str | None  # None for ``import module``
    asname: str | None
    level: int

    @property
    def bound(self) -> str:
        if self.asname:
            return self.asname
        return self.name if self.name is not None else self.module.split(".")[0]


def module_imports(tree: ast.Module) -> dict[str, ImportBinding]:
    """Names bound by module-level imports (also inside top-level ``try``/``if`` blocks)."""
    bindings: dict[str, ImportBinding] = {}
    todo = list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, ast.Import):
            for a in node.names:
                b = ImportBinding(a.name, None, a.asname, 0)
                bindings.setdefault(b.bound, b)
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                if a.name != "*":
                    b = ImportBinding(node.module or "", a.name, a.asname, node.level)
                    bindings.setdefault(b.bound, b)
        elif isinstance(node, ast.Try):
            todo.extend(node.body)
        elif isinstance(node, ast.If):
            todo.extend(node.body)
    return bindings


def import_lines(bindings: Iterable[ImportBinding]) -> list[str]:
    """Render bindings as import statements, ``from`` imports of one module merged, in a stable order."""
    plain, grouped = [], {}
    for b in bindings:
        if b.level:
            continue  # relative imports cannot stand alone
        if b.name is None:
            plain.append(f"import {b.module}" + (f" as {b.asname}" if b.asname else ""))
        else:
            grouped.setdefault(b.module, []).append(b.name + (f" as {b.asname}" if b.asname else ""))
    lines = sorted(set(plain))
    lines += [f"from {module} import {', '.join(sorted(set(names)))}" for module, names in sorted(grouped.items())]
    return lines


def _own_nodes(fn: ast.AST) -> Iterator[ast.AST]:
    """Nodes of ``fn``'s body that belong to its own scope (not to nested defs, lambdas or classes)."""
    todo = list(ast.iter_child_nodes(fn))
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, _SCOPES):
            todo.extend(ast.iter_child_nodes(node))


def returns_value(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether some ``return <expr>`` of the function's own scope returns a value."""
    return any(isinstance(n, ast.Return) and n.value is not None for n in _own_nodes(fn))


def count_args(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    a = fn.args
    return len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + (a.vararg is not None) + (a.kwarg is not None)


def global_reads(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names the function reads that nothing inside it binds (approximate Python scoping)."""
    loaded, bound = set(), set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not fn:
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                bound.add(a.asname or a.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
    bound.add(fn.name)  # recursion
    return loaded - bound - BUILTINS


def _docstring_function(node: ast.stmt) -> bool:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.body:
        return False
    first = node.body[0]
    return isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)


def parse(text: str) -> tuple[ast.Module | None, str | None]:
    """Parse source; on failure return the drop reason instead."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text), None
    except SyntaxError as err:
        return None, "null_bytes" if "null bytes" in str(err) else "syntax_error"
    except ValueError:  # null bytes, before Python 3.11.4
        return None, "null_bytes"
    except (RecursionError, MemoryError):
        return None, "too_deep"


_NEWLINE = re.compile(r"\r\n|\r|\n")


def source_lines(text: str) -> list[str]:
    """The lines of Python source as the parser counts them (``\\n``, ``\\r\\n``, ``\\r``), so AST line
    numbers index them. ``str.splitlines`` also breaks at form feeds, ``\\x1c``–``\\x1e``, ``\\x85``
    and ``\\u2028``/``\\u2029``, which the parser treats as ordinary characters."""
    return _NEWLINE.split(text)


# The columns a seed carries over from its document, under the same names.
SEED_ORIGIN = ("doc_id", "source", "repo", "path", "license")


def extract(doc: Document) -> tuple[list[Seed], str | None, int]:
    """Seeds of one document, the document's drop reason (if unparsable), and its top-level function count."""
    tree, reason = parse(doc.content)
    if tree is None:
        return [], reason, 0
    imports = module_imports(tree)
    lines = source_lines(doc.content)
    origin = {name: getattr(doc, name) for name in SEED_ORIGIN}
    seeds, n_functions = [], 0
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        n_functions += 1
        if not _docstring_function(node):
            continue
        function = "\n".join(lines[node.lineno - 1 : node.end_lineno])
        reads = global_reads(node)
        used = [imports[name] for name in sorted(reads) if name in imports]
        import_stmts = import_lines(used)
        resolved = {b.bound for b in used if not b.level}
        code = ("\n".join(import_stmts) + "\n\n\n" if import_stmts else "") + function + "\n"
        seeds.append(
            Seed(
                seed_id=content_id(function),
                name=node.name,
                code=code,
                function=function,
                docstring=ast.get_docstring(node, clean=True) or "",
                imports=import_stmts,
                free_names=sorted(reads - resolved),
                n_lines=node.end_lineno - node.lineno + 1,
                n_args=count_args(node),
                returns_value=returns_value(node),
                lineno=node.lineno,
                **origin,
            )
        )
    return seeds, None, n_functions


def _extract_batch(rows: list[dict]) -> list[tuple[list[dict], str | None, int]]:
    out = []
    for row in rows:
        seeds, reason, n = extract(from_row(Document, row))
        out.append(([to_row(s) for s in seeds], reason, n))
    return out


PART_FILES = 256  # source files per resumable part (a data file of a dataset is a part of its own)
DOC_BATCH = 64  # documents per worker batch


def parts_of(units: list[corpus.Unit]) -> list[list[corpus.Unit]]:
    """A shard's units in resumable parts: each data file alone, source files in runs of ``PART_FILES``."""
    parts: list[list[corpus.Unit]] = []
    run: list[corpus.Unit] = []
    for unit in units:
        if unit.kind == "file":
            run.append(unit)
            if len(run) == PART_FILES:
                parts.append(run)
                run = []
            continue
        if run:
            parts.append(run)
            run = []
        parts.append([unit])
    if run:
        parts.append(run)
    return parts


def _part_key(units: list[corpus.Unit], cfg: dict, version: str) -> str:
    """What a finished part's output depends on: its files (with their sizes and times), the
    corpus settings and the code — a part made under anything else is redone."""
    described = []
    for u in units:
        try:
            st = os.stat(u.path) if not u.path.startswith("hf://") else None
        except OSError:
            st = None
        described.append([u.path, u.rows, u.source, st and st.st_size, st and st.st_mtime_ns])
    settings = {"max_file_bytes": cfg["max_file_bytes"], "sources": cfg["sources"]}
    return hashlib.sha256(json.dumps([described, settings, version], sort_keys=True, default=str).encode()).hexdigest()


def extract_part(units: list[corpus.Unit], cfg: dict, threads: int) -> tuple[list[dict], Stats, Stats]:
    """Seeds of one part (a function repeated within it is kept once), with the part's corpus and extract stats."""
    read = Stats("seeds_corpus", unit_in="files", unit_out="files")
    stats = Stats("seeds_extract", unit_in="files", unit_out="functions")
    functions_total = duplicates = 0
    seen: set[str] = set()
    rows: list[dict] = []

    def batches():
        batch = []
        for doc in corpus.read_units(units, cfg, read):
            batch.append(to_row(doc))
            if len(batch) == DOC_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    for batch in parallel.map_batches(_extract_batch, batches(), threads, lost=lambda doc: ([], "worker_died", 0)):
        for seeds, reason, n_functions in batch:
            stats.n_in += 1
            functions_total += n_functions
            if reason:
                stats.drop(reason)
                continue
            for seed in seeds:
                # The same function text in two files is one seed (its id is its content hash).
                if seed["seed_id"] in seen:
                    duplicates += 1
                    continue
                seen.add(seed["seed_id"])
                rows.append(seed)
    stats.n_out = len(rows)
    stats.extra.update(
        files_parsed=stats.n_in - sum(stats.dropped.values()),
        top_level_functions=functions_total,
        docstring_functions=len(rows) + duplicates,
        repeated_functions=duplicates,
    )
    return rows, read, stats


def run_shard(
    *,
    manifest: str,
    shard: int,
    n_shards: int,
    cfg: dict,
    out: str,
    stats_path: str,
    corpus_stats_path: str,
    parts_dir: str,
    version: str = "",
    threads: int = 1,
) -> Stats:
    """Extract the seeds of shard ``shard``: a contiguous range of the manifest's files, read in
    place. Each part is committed to ``parts_dir`` as it finishes, so a rerun of a killed job
    redoes only unfinished parts; the shard is then joined (a function already seen in an earlier
    part is kept once), and the parts removed."""
    units = corpus.read_manifest(manifest)
    start, end = shard_bounds(len(units), shard, n_shards)
    parts = parts_of(units[start:end])
    folder = Path(parts_dir)
    folder.mkdir(parents=True, exist_ok=True)
    progress = logs.Progress(log, sum(u.rows for u in units[start:end]), "files")
    reused = 0
    for k, part in enumerate(parts):
        key = _part_key(part, cfg, version)
        data, done = folder / f"part-{k:06d}.parquet", folder / f"part-{k:06d}.json"
        if done.exists() and io.read_json(done).get("key") == key and data.exists():
            reused += 1
            progress.update(sum(u.rows for u in part))
            continue
        rows, read, stats = extract_part(part, cfg, threads)
        io.write_rows(data, rows, schema(Seed))
        io.write_json(done, {"key": key, "corpus": read.to_dict(), "extract": stats.to_dict()})
        progress.update(sum(u.rows for u in part))
    if reused:
        log.info("resumed: %d of %d parts were already done", reused, len(parts))

    summaries = [io.read_json(folder / f"part-{k:06d}.json") for k in range(len(parts))]
    empty = Stats("seeds_extract", unit_in="files", unit_out="functions").to_dict()
    read = Stats.merge("seeds_corpus", [s["corpus"] for s in summaries] or [Stats("seeds_corpus", unit_in="files").to_dict()])
    stats = Stats.merge("seeds_extract", [s["extract"] for s in summaries] or [empty])
    seen: set[str] = set()
    repeated = 0
    with io.ParquetShardWriter(out, schema(Seed)) as writer:
        for k in range(len(parts)):
            table = io.read_table(folder / f"part-{k:06d}.parquet")
            ids = table.column("seed_id").to_pylist()
            keep = [i not in seen and not seen.add(i) for i in ids]
            repeated += len(ids) - sum(keep)
            writer.write_table(table.filter(pa.array(keep, type=pa.bool_())))
    stats.n_out = writer.rows
    stats.extra["repeated_functions"] = stats.extra.get("repeated_functions", 0) + repeated
    for extra in (read.extra, stats.extra):
        extra.update(shard=shard, shards=n_shards, files=[start, end], parts=len(parts), parts_reused=reused)
    read.save(corpus_stats_path)
    stats.save(stats_path)
    shutil.rmtree(folder, ignore_errors=True)
    return stats


ENTRY = cli.Entry(
    run_shard,
    inputs={"manifest": "manifest"},
    outputs={"out": "seeds", "stats_path": "stats", "corpus_stats_path": "corpus_stats"},
    params={"n_shards": "shards", "parts_dir": "parts", "version": "code"},
    config={"cfg": "seeds.corpus"},
    wildcards={"shard": "shard"},
)

if __name__ == "__main__":
    ENTRY.main()
