"""Filter: the paper's seed filters, each switchable in ``seeds.filters``.

In order (each named after what it keeps; the drop reason in parentheses):

1. ``returns_value``     a return statement of its own returns a value (``no_return_value``)
2. ``min_arguments``     at least that many parameters (``no_arguments``)
3. ``max_lines``         at most that many lines (``too_long``)
4. ``banned_words``      none of the words in the code, case-insensitive (``banned_word``)
5. ``autoimport``        missing imports inferred by ``autoimport`` under a time limit
                         (``autoimport_timeout``, ``autoimport_error``)
6. ``banned_imports``    imports none of the banned modules, after autoimport (``banned_import``)
7. ``typecheck``         every name it reads is defined (``undefined_names``) and Pyright reports
                         zero errors, checked in batches, in parallel up to the job's threads
                         (``type_errors``; a batch that times out or gives no report is split
                         and retried down to one function: ``typecheck_timeout``,
                         ``typecheck_no_report``)

Steps 1–6 run in a process pool, streaming (only survivors are held); Pyright runs over the
survivors, batch by batch. One job filters one shard of the seed stage.
"""

from __future__ import annotations

import ast
import logging
import re
import signal
import subprocess
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial

from codealign import cli, io, logs, parallel
from codealign.records import Seed, from_row, schema, to_row
from codealign.seeds import typecheck as tc
from codealign.seeds.extract import global_reads, module_imports
from codealign.stats import Stats

log = logging.getLogger("codealign.seeds.filter")


@dataclass(frozen=True)
class Rule:
    """A cheap predicate on a seed's recorded facts."""

    key: str  # its switch in seeds.filters
    reason: str
    keeps: Callable[[Seed, object], bool]
    enabled: Callable[[object], bool]


def _words_pattern(words: list[str], match: str) -> re.Pattern:
    alternatives = "|".join(re.escape(w.lower()) for w in words)
    return re.compile(rf"\b(?:{alternatives})\b" if match == "word" else alternatives)


RULES = (
    Rule("returns_value", "no_return_value", lambda s, v: s.returns_value, lambda v: bool(v)),
    Rule("min_arguments", "no_arguments", lambda s, v: s.n_args >= v, lambda v: bool(v)),
    Rule("max_lines", "too_long", lambda s, v: s.n_lines <= v, lambda v: v is not None),
)

_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import\b|import[ \t]+([^#\n]+))", re.M)


def imported_modules(code: str) -> set[str]:
    """Top-level module names a snippet imports (regex over import lines: no parse needed)."""
    found = set()
    for frm, plain in _IMPORT_LINE.findall(code):
        if frm:
            if not frm.startswith("."):
                found.add(frm.split(".")[0])
        else:
            for part in plain.split(","):
                name = part.strip().split(" ")[0]
                if name:
                    found.add(name.split(".")[0])
    return found


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def infer_imports(code: str, timeout_s: float) -> str:
    """``autoimport.fix_code`` under a wall-clock limit (SIGALRM; call from a main thread)."""
    import autoimport

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return autoimport.fix_code(code)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def undefined_names(code: str, name: str) -> list[str]:
    """Names the function ``name`` reads that neither the snippet's imports nor builtins define."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ["<unparsable>"]
    bound = set(module_imports(tree))
    bound.update(n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return sorted(global_reads(node) - bound)
    return ["<function missing>"]


def prefilter(seed: Seed, cfg: dict, words: re.Pattern | None) -> tuple[Seed, str | None]:
    """Steps 1–6 for one seed: the (possibly rewritten) seed and its drop reason, if any."""
    for rule in RULES:
        value = cfg[rule.key]
        if rule.enabled(value) and not rule.keeps(seed, value):
            return seed, rule.reason
    if words is not None and words.search(seed.code.lower()):
        return seed, "banned_word"
    if cfg["autoimport"]["enabled"]:
        try:
            code = infer_imports(seed.code, cfg["autoimport"]["timeout_s"])
        except _Timeout:
            return seed, "autoimport_timeout"
        except Exception:  # autoimport fails on code it cannot rewrite
            return seed, "autoimport_error"
        seed = replace(seed, code=code)
    if cfg["banned_imports"] and imported_modules(seed.code) & set(cfg["banned_imports"]):
        return seed, "banned_import"
    if cfg["typecheck"]["enabled"] and undefined_names(seed.code, seed.name):
        return seed, "undefined_names"
    return seed, None


def _prefilter_batch(rows: list[dict], cfg: dict) -> list[tuple[dict, str | None]]:
    words = _words_pattern(cfg["banned_words"], cfg["banned_words_match"]) if cfg["banned_words"] else None
    out = []
    for row in rows:
        seed, reason = prefilter(from_row(Seed, row), cfg, words)
        out.append((to_row(seed), reason))
    return out


def typecheck_batch(batch: list[dict], tc_cfg: dict) -> dict[str, str | None]:
    """seed id → drop reason (None: clean) for one Pyright batch. A batch that times out or gives
    no report is split in halves and retried, so one bad function costs only itself
    (``typecheck_timeout`` / ``typecheck_no_report``), never its batch or the job."""
    try:
        errors = tc.typecheck({r["seed_id"]: r["code"] for r in batch}, mode=tc_cfg["mode"], timeout_s=tc_cfg["timeout_s"])
    except (subprocess.TimeoutExpired, tc.TypecheckerUnavailable) as err:
        if len(batch) == 1:
            reason = "typecheck_timeout" if isinstance(err, subprocess.TimeoutExpired) else "typecheck_no_report"
            log.warning("%s: %s", reason, batch[0]["seed_id"])
            return {batch[0]["seed_id"]: reason}
        half = len(batch) // 2
        return {**typecheck_batch(batch[:half], tc_cfg), **typecheck_batch(batch[half:], tc_cfg)}
    return {r["seed_id"]: ("type_errors" if errors[r["seed_id"]] else None) for r in batch}


def typecheck_all(
    rows: list[dict], tc_cfg: dict, threads: int, progress: Callable[[int, int], None] | None = None
) -> dict[str, str | None]:
    """seed id → drop reason (None: clean) for every row: up to ``threads`` Pyright processes at
    once, over batches of at most ``batch_size`` functions and at least one batch per CPU, of equal
    size. A batch shares the cost of analysing the stubs and modules its files import, yet an idle
    CPU costs more than that sharing saves (measured on 2 cores over 2,000 functions: two
    processes of 1,000 took 63 s, one of 2,000 took 82 s, the anchor's batches of 250 144 s)."""
    if not rows:
        return {}
    n_batches = max(-(-len(rows) // tc_cfg["batch_size"]), min(threads, len(rows)))
    size = -(-len(rows) // n_batches)
    batches = [rows[start : start + size] for start in range(0, len(rows), size)]
    threads = max(1, min(threads, len(batches)))
    verdicts: dict[str, str | None] = {}
    with ThreadPoolExecutor(threads) as pool:  # each batch is its own Pyright process
        for done, result in enumerate(pool.map(lambda b: typecheck_batch(b, tc_cfg), batches), 1):
            verdicts.update(result)
            if progress:
                progress(done, len(batches))
    return verdicts


def run(*, seeds: str, out: str, stats_path: str, cfg: dict, threads: int = 1) -> Stats:
    tc_cfg = cfg["typecheck"]
    if tc_cfg["enabled"]:
        log.info("type checker: %s", tc.version())  # fails here, before any work, if it cannot run
    stats = Stats("seeds_filter", unit_in="functions")
    total = io.count_rows(seeds)
    stats.n_in = total
    survivors: list[dict] = []
    started = time.monotonic()
    work = partial(_prefilter_batch, cfg=cfg)
    progress = logs.Progress(log, total, "functions (rule filters + autoimport)")
    batches = io.iter_batches(seeds, batch_size=128)
    for row, reason in _drain(parallel.map_batches(work, batches, threads, lost=lambda row: (row, "worker_died")), progress):
        if reason:
            stats.drop(reason)
        else:
            survivors.append(row)
    stats.extra["seconds_rule_filters_and_autoimport"] = round(time.monotonic() - started, 2)

    if tc_cfg["enabled"]:
        started = time.monotonic()
        verdicts = typecheck_all(survivors, tc_cfg, threads, lambda done, n: log.info("type-checked %d/%d batches", done, n))
        checked = []
        for row in survivors:
            reason = verdicts[row["seed_id"]]
            if reason:
                stats.drop(reason)
            else:
                checked.append(row)
        survivors = checked
        stats.extra["seconds_typecheck"] = round(time.monotonic() - started, 2)

    io.write_rows(out, survivors, schema(Seed))
    stats.n_out = len(survivors)
    return stats.save(stats_path)


def _drain(results, progress):
    for batch in results:
        progress.update(len(batch))
        yield from batch


ENTRY = cli.Entry(run, inputs={"seeds": "seeds"}, outputs={"out": "filtered", "stats_path": "stats"}, config={"cfg": "seeds.filters"})

if __name__ == "__main__":
    ENTRY.main()
