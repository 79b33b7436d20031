"""CodeOcean raw code: functions with their comments, CodeSearchNet-style, filtered by length and blacklist.

Sources (``codeocean.corpus.sources``):

``python``          functions with docstrings from this interpreter's standard library;
``javascript``      functions with a JSDoc or ``//`` comment from the JavaScript that ships with the
                    installed Node.js and npm (``npm root -g``), or from ``paths``;
``codesearchnet``   local JSON Lines / Parquet files in CodeSearchNet's layout (``code``, ``docstring``,
                    ``language``, ``func_name``, ``repo``, ``path``) — six languages.

Dropped, by reason: ``too_short`` / ``too_long`` (code lines), ``short_comment``, ``blacklisted``
(a blacklisted word in code or comment), ``duplicate``.
"""

from __future__ import annotations

import ast
import glob
import logging
import re
import shutil
import subprocess
import sysconfig
from collections.abc import Iterator
from pathlib import Path

from codealign import cli, io
from codealign.records import RawCode, content_id, schema, to_row
from codealign.seeds.corpus import decode_source
from codealign.stats import Stats

log = logging.getLogger("codealign.codeocean.rawcode")


def python_functions(text: str) -> Iterator[tuple[str, str, str]]:
    """(name, code without docstring, docstring) of top-level functions with a docstring."""
    from codealign.seeds.extract import parse, source_lines

    tree, _ = parse(text)
    if tree is None:
        return
    lines = source_lines(text)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and ast.get_docstring(node):
            doc = node.body[0]
            body = lines[node.lineno - 1 : doc.lineno - 1] + lines[doc.end_lineno : node.end_lineno]
            yield node.name, "\n".join(body) + "\n", ast.get_docstring(node, clean=True)


_JS_FUNCTION = re.compile(r"^[ \t]*(?:export\s+(?:default\s+)?)?(?:async\s+)?function\s*\*?\s*(?P<name>[A-Za-z_$][\w$]*)\s*\(", re.M)


def _block_end(text: str, start: int) -> int:
    """Index just past the ``}`` that closes the first ``{`` at or after ``start`` (skips strings and comments)."""
    depth, i, n = 0, text.index("{", start), len(text)
    while i < n:
        c = text[i]
        if c in "\"'`":
            quote, i = c, i + 1
            while i < n and text[i] != quote:
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            i = text.find("*/", i + 2)
            i = n if i < 0 else i + 1
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced braces")


def _comment_before(text: str, start: int) -> str:
    """The JSDoc block or run of ``//`` lines right before ``start``, cleaned, else ''."""
    before = text[:start].rstrip()
    if before.endswith("*/"):
        open_at = before.rfind("/**")
        if open_at < 0:
            return ""
        body = before[open_at + 3 : -2]
        lines = [re.sub(r"^\s*\*\s?", "", line) for line in body.splitlines()]
        return "\n".join(line for line in lines if not line.lstrip().startswith("@")).strip()
    comment = []
    for line in reversed(before.splitlines()):
        if line.strip().startswith("//"):
            comment.append(line.strip()[2:].strip())
        else:
            break
    return "\n".join(reversed(comment)).strip()


def javascript_functions(text: str) -> Iterator[tuple[str, str, str]]:
    """(name, code, comment) of function declarations preceded by a comment."""
    for match in _JS_FUNCTION.finditer(text):
        comment = _comment_before(text, match.start())
        if not comment:
            continue
        try:
            end = _block_end(text, match.end())
        except ValueError:
            continue
        yield match.group("name"), text[match.start() : end].strip() + "\n", comment


def _node_modules() -> list[str]:
    npm = shutil.which("npm")
    if npm:
        try:
            root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, timeout=60).stdout.strip()
            if root and Path(root).is_dir():
                return [root]
        except (OSError, subprocess.TimeoutExpired):
            pass
    return [p for p in ("/usr/lib/node_modules", "/usr/local/lib/node_modules") if Path(p).is_dir()]


def iter_candidates(source: dict) -> Iterator[tuple[str, str, str, str, str, str]]:
    """(language, name, code, comment, path, repo) from one configured source."""
    kind = source["kind"]
    if kind == "python":
        root = Path(sysconfig.get_paths()["stdlib"])
        for file in sorted(root.rglob("*.py")):
            if "site-packages" in file.parts:
                continue
            try:
                text = decode_source(file.read_bytes())
            except (OSError, UnicodeDecodeError, SyntaxError, LookupError):
                continue
            for name, code, doc in python_functions(text):
                yield "python", name, code, doc, str(file.relative_to(root)), "python-stdlib"
    elif kind == "javascript":
        roots = source.get("paths") or _node_modules()
        for root in roots:
            for file in sorted(Path(root).rglob("*.js")):
                if file.name.endswith(".min.js"):
                    continue
                try:
                    text = file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
                for name, code, comment in javascript_functions(text):
                    yield "javascript", name, code, comment, str(file), file.relative_to(root).parts[0]
    else:  # codesearchnet files
        for pattern in source["paths"]:
            for file in sorted(Path(p) for p in glob.glob(pattern, recursive=True)):
                for row in _read_any(file):
                    yield (
                        row.get("language", ""),
                        row.get("func_name", ""),
                        row.get("code") or row.get("original_string", ""),
                        row.get("docstring", ""),
                        row.get("path", ""),
                        row.get("repo", ""),
                    )


def _read_any(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    from codealign.benchmarks import read_jsonl

    return read_jsonl(path)


def run(*, out: str, stats_path: str, cfg: dict) -> Stats:
    stats = Stats("codeocean_raw", unit_in="functions")
    limits = cfg["filters"]
    blacklist = re.compile("|".join(re.escape(w.lower()) for w in limits["blacklist"])) if limits["blacklist"] else None
    seen: set[str] = set()
    rows = []
    per_language: dict[str, int] = {}
    for source in cfg["sources"]:
        taken = 0
        for language, name, code, comment, path, repo in iter_candidates(source):
            if source.get("max_items") and taken >= source["max_items"]:
                break
            stats.n_in += 1
            n_lines = code.count("\n") + 1
            if n_lines < limits["min_lines"]:
                stats.drop("too_short")
            elif n_lines > limits["max_lines"] or len(code) > limits["max_chars"]:
                stats.drop("too_long")
            elif len(comment.split()) < limits["min_comment_words"]:
                stats.drop("short_comment")
            elif blacklist and blacklist.search((code + "\n" + comment).lower()):
                stats.drop("blacklisted")
            else:
                raw_id = content_id(language, code)
                if raw_id in seen:
                    stats.drop("duplicate")
                    continue
                seen.add(raw_id)
                taken += 1
                per_language[language] = per_language.get(language, 0) + 1
                rows.append(to_row(RawCode(raw_id, language, name, code, comment, source["kind"], path, repo)))
    io.write_rows(out, rows, schema(RawCode))
    stats.n_out = len(rows)
    stats.extra["languages"] = dict(sorted(per_language.items()))
    return stats.save(stats_path)


ENTRY = cli.Entry(run, outputs={"out": "raw", "stats_path": "stats"}, config={"cfg": "codeocean.corpus"})

if __name__ == "__main__":
    ENTRY.main()
