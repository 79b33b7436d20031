"""Extract: top-level functions whose first statement is a docstring, with the facts filters need.

Each file is parsed once; while its tree is at hand we record what the rule filters ask about
(argument count, length, whether a value is returned) and which of the file's own imports the
function uses, so that filtering never parses files again. Dropped documents, by reason:
``syntax_error``, ``null_bytes``, ``too_deep`` (nesting that exhausts the parser).
"""

from __future__ import annotations

import ast
import builtins
import logging
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from codealign import cli, io, logs, parallel
from codealign.records import Document, Seed, content_id, from_row, schema
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


def extract(doc: Document) -> tuple[list[Seed], str | None, int]:
    """Seeds of one document, the document's drop reason (if unparsable), and its top-level function count."""
    tree, reason = parse(doc.content)
    if tree is None:
        return [], reason, 0
    imports = module_imports(tree)
    lines = source_lines(doc.content)
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
                doc_id=doc.doc_id,
                source=doc.source,
                repo=doc.repo,
                path=doc.path,
                license=doc.license,
                lineno=node.lineno,
            )
        )
    return seeds, None, n_functions


def _extract_batch(rows: list[dict]) -> list[tuple[list[dict], str | None, int]]:
    out = []
    for row in rows:
        seeds, reason, n = extract(from_row(Document, row))
        out.append(([s.__dict__ for s in seeds], reason, n))
    return out


def _batches(path: str, size: int) -> Iterator[list[dict]]:
    yield from io.iter_batches(path, batch_size=size)


def run(*, docs: str, out: str, stats_path: str, threads: int = 1, log_file: str | None = None) -> Stats:
    logs.setup(log_file)
    stats = Stats("seeds_extract", unit_in="files", unit_out="functions")
    n_docs = io.count_rows(docs)
    progress = logs.Progress(log, n_docs, "files")
    functions_total = 0
    seen_ids: set[str] = set()
    duplicates = 0
    with io.ParquetShardWriter(out, schema(Seed)) as writer:
        batches = _batches(docs, 64)
        for batch in parallel.map_batches(_extract_batch, batches, threads, lost=lambda doc: ([], "worker_died", 0)):
            rows = []
            for seeds, reason, n_functions in batch:
                stats.n_in += 1
                functions_total += n_functions
                if reason:
                    stats.drop(reason)
                    continue
                for seed in seeds:
                    # The same function text in two files is one seed (its id is its content hash).
                    if seed["seed_id"] in seen_ids:
                        duplicates += 1
                        continue
                    seen_ids.add(seed["seed_id"])
                    rows.append(seed)
            writer.write_rows(rows)
            progress.update(len(batch))
    stats.n_out = writer.rows
    stats.extra.update(
        files_parsed=stats.n_in - sum(stats.dropped.values()),
        top_level_functions=functions_total,
        docstring_functions=writer.rows + duplicates,
        repeated_functions=duplicates,
    )
    stats.save(stats_path)
    log.info(stats.summary())
    return stats


def main(argv: list[str] | None = None) -> None:
    p = cli.parser("Extract top-level functions with docstrings from the corpus.")
    p.add_argument("--docs", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--stats", required=True)
    args = p.parse_args(argv)
    run(docs=args.docs, out=args.out, stats_path=args.stats, threads=args.threads, log_file=args.log)


if __name__ == "__main__":
    main()
