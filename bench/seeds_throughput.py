"""Seed stage throughput: extract + rule filters against plain ``ast.parse`` of the same files,
and the filter's Pyright against the anchor's way of running it.

Corpus: this interpreter's standard library plus its full site-packages. Both sides read and
decode every file and run in one process; they alternate chunk by chunk so that drift in machine
speed hits both alike. Printed: files/s of each, the ratio (target >= 0.8), autoimport's cost per
function on a sample, then Pyright on the same sample two ways, alternating round by round:

* the anchor's method: one Pyright process at a time over batches of 250 one-function files;
* the stage's (``filter.typecheck_all``): at most ``seeds.filters.typecheck.batch_size`` functions
  per Pyright process and at least one batch per CPU the job has (``--threads``), that many
  processes at once, a failing batch split and retried, Node's young generation enlarged
  (``typecheck.NODE_OPTIONS``).

RATIO pyright = anchor seconds / stage seconds (target >= 2 on 2 cores), and whether the two gave
the same verdict for every function. Last, MinHash dedup time for all extracted functions.

    python bench/seeds_throughput.py [--rounds 1] [--no-site-packages] [--sample 1000] [--threads 2]
"""

from __future__ import annotations

import argparse
import ast
import random
import sys
import time
import warnings
from pathlib import Path

from codealign.algorithms import dedup
from codealign.records import Document
from codealign.seeds import corpus, extract, typecheck
from codealign.seeds import filter as F

RULE_FILTERS = {
    "returns_value": True,
    "min_arguments": 1,
    "max_lines": 150,
    "banned_words": ["todo", "fixme", "bug"],
    "banned_words_match": "substring",
    "banned_imports": ["argparse", "os", "subprocess", "sys", "setuptools", "distutils", "matplotlib", "seaborn"],
    "autoimport": {"enabled": False, "timeout_s": 10},
    "typecheck": {"enabled": False},
}
UNREADABLE = (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError, LookupError)


def files(site_packages: bool) -> list[Path]:
    source = {"kind": "python", "stdlib": True, "site_packages": site_packages}
    return [Path(u.path) for u in corpus.manifest({"sources": [source], "max_file_bytes": 10**7})]


def pyright_anchor(codes: list[str]) -> dict[str, bool]:
    """The anchor's method: one Pyright process over batches of 250, one batch after another, with
    Node's default settings."""
    clean = {}
    for i in range(0, len(codes), 250):
        batch = {str(j): code for j, code in enumerate(codes[i : i + 250], i)}
        clean.update((k, not errors) for k, errors in typecheck.typecheck(batch, node_options=()).items())
    return clean


def pyright_stage(codes: list[str], threads: int, batch_size: int) -> dict[str, bool]:
    """The filter stage's method (``typecheck_batch`` over parallel batches)."""
    rows = [{"seed_id": str(j), "code": code} for j, code in enumerate(codes)]
    verdicts = F.typecheck_all(rows, {"mode": "basic", "timeout_s": 600, "batch_size": batch_size}, threads)
    return {k: reason is None for k, reason in verdicts.items()}


def parse_only(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        try:
            text = corpus.decode_source(path.read_bytes())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(text)
        except UNREADABLE:
            pass
    return time.perf_counter() - start


def extract_and_filter(paths: list[Path], codes: list[str], kept: list[str]) -> float:
    """Extract + rule filters; appends every function's code to ``codes``, survivors' to ``kept``.

    Only strings are kept (as the stage streams its output), so garbage collection does not
    slow this side down with thousands of live objects.
    """
    words = F._words_pattern(RULE_FILTERS["banned_words"], "substring")
    start = time.perf_counter()
    for path in paths:
        try:
            text = corpus.decode_source(path.read_bytes())
        except UNREADABLE:
            continue
        seeds, _, _ = extract.extract(Document("", "", "", str(path), "", text))
        for seed in seeds:
            seed, reason = F.prefilter(seed, RULE_FILTERS, words)
            codes.append(seed.code)
            if reason is None:
                kept.append(seed.code)
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--chunk", type=int, default=200, help="files per alternation")
    p.add_argument("--no-site-packages", action="store_true")
    p.add_argument("--sample", type=int, default=2000, help="functions for the autoimport and Pyright timings")
    p.add_argument("--threads", type=int, default=2, help="CPUs the filter job has (Pyright processes at once)")
    p.add_argument("--pyright-rounds", type=int, default=2, help="alternations of the two Pyright methods")
    args = p.parse_args()

    paths = files(not args.no_site_packages)
    what = "stdlib" if args.no_site_packages else "stdlib + site-packages"
    print(f"corpus: {len(paths)} files ({what}), Python {sys.version.split()[0]}")
    # The two sides alternate chunk by chunk, so drift in machine speed hits both alike.
    for path in paths:  # warm the page cache once, so neither side pays for the first read
        path.read_bytes()
    t_base = t_ours = 0.0
    codes: list[str] = []
    kept: list[str] = []
    for r in range(args.rounds):
        round_codes: list[str] = []
        round_kept: list[str] = []
        for n, i in enumerate(range(0, len(paths), args.chunk)):
            chunk = paths[i : i + args.chunk]
            if n % 2:  # whichever side reads a chunk second finds it in the page cache: take turns
                t_ours += extract_and_filter(chunk, round_codes, round_kept)
                t_base += parse_only(chunk)
            else:
                t_base += parse_only(chunk)
                t_ours += extract_and_filter(chunk, round_codes, round_kept)
        codes, kept = round_codes, round_kept
        print(
            f"after round {r + 1}: ast.parse {t_base:.1f}s | extract+rule filters {t_ours:.1f}s ({len(codes)} functions, {len(kept)} pass)"
        )
    print(
        f"throughput: ast.parse {args.rounds * len(paths) / t_base:,.0f} files/s; "
        f"extract+rule filters {args.rounds * len(paths) / t_ours:,.0f} files/s"
    )
    print(f"RATIO extract+rule filters / ast.parse = {t_base / t_ours:.2f}  (target >= 0.80)")

    sample = random.Random(0).sample(kept, min(args.sample, len(kept)))
    start = time.perf_counter()
    fixed = []
    for code in sample:
        try:
            fixed.append(F.infer_imports(code, 10))
        except Exception:  # counted as autoimport_error by the stage
            fixed.append(code)
    t_auto = time.perf_counter() - start
    print(f"autoimport: {len(sample)} functions in {t_auto:.1f}s = {1000 * t_auto / max(1, len(sample)):.2f} ms/function (one process)")
    from codealign import config as cfglib

    batch_size = cfglib.validate({})["seeds"]["filters"]["typecheck"]["batch_size"]
    t_anchor = t_stage = 0.0
    for r in range(args.pyright_rounds):  # alternate, so drift in machine speed hits both alike
        for side in ("anchor", "stage") if r % 2 == 0 else ("stage", "anchor"):
            start = time.perf_counter()
            if side == "anchor":
                anchor = pyright_anchor(fixed)
                t_anchor += time.perf_counter() - start
            else:
                stage = pyright_stage(fixed, args.threads, batch_size)
                t_stage += time.perf_counter() - start
    n = args.pyright_rounds * len(fixed)
    differ = sorted(k for k in anchor if anchor[k] != stage[k])
    print(f"pyright anchor (1 process, batches of 250): {n / t_anchor:,.1f} functions/s")
    batches = max(-(-len(fixed) // batch_size), min(args.threads, len(fixed)))
    print(f"pyright stage ({batches} batches of <= {batch_size}, {args.threads} at once): {n / t_stage:,.1f} functions/s")
    print(
        f"RATIO pyright stage / anchor = {t_anchor / t_stage:.2f}  (target >= 2.00); verdicts that differ: {len(differ)} of "
        f"{len(stage)} ({sum(stage.values())} clean)"
    )
    for k in differ[:5]:  # Pyright's inference of unannotated library code can depend on what else a run loads
        print(f"  differs: {fixed[int(k)].splitlines()[0][:100]!r} (anchor {'clean' if anchor[k] else 'error'})")

    texts = codes
    start = time.perf_counter()
    exact = dedup.exact_duplicates(texts)
    near = dedup.near_duplicates(texts, threshold=0.5, skip=[e is not None for e in exact])
    t_dedup = time.perf_counter() - start
    print(
        f"dedup (MinHash LSH, threshold 0.5, 128 perms): {len(texts)} functions in {t_dedup:.1f}s "
        f"({len(texts) / t_dedup:,.0f}/s); {sum(e is not None for e in exact)} exact, {sum(n is not None for n in near)} near duplicates"
    )


if __name__ == "__main__":
    main()
