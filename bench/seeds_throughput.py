"""Seed stage throughput: extract + rule filters against plain ``ast.parse`` of the same files.

Corpus: this interpreter's standard library plus its full site-packages. Both sides read and
decode every file and run in one process; they alternate chunk by chunk so that drift in machine
speed hits both alike. Printed: files/s of each, the ratio
(target >= 0.8), then autoimport and Pyright per-function costs on a sample, and MinHash
dedup time for all extracted functions.

    python bench/seeds_throughput.py [--rounds 1] [--no-site-packages]
"""

from __future__ import annotations

import argparse
import ast
import random
import sys
import time
import warnings
from pathlib import Path

from codealign import dedup
from codealign.records import Document
from codealign.seeds import corpus, extract
from codealign.seeds import filter as F
from codealign.seeds import typecheck

RULE_FILTERS = {
    "returns_value": True, "min_arguments": 1, "max_lines": 150,
    "banned_words": ["todo", "fixme", "bug"], "banned_words_match": "substring",
    "banned_imports": ["argparse", "os", "subprocess", "sys", "setuptools", "distutils", "matplotlib", "seaborn"],
    "autoimport": {"enabled": False, "timeout_s": 10}, "typecheck": {"enabled": False},
}
UNREADABLE = (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError, LookupError)


def files(site_packages: bool) -> list[Path]:
    source = {"kind": "python", "stdlib": True, "site_packages": site_packages}
    return [item[-1] for item in corpus._file_items(source, 0)]


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
    p.add_argument("--sample", type=int, default=1000, help="functions for the autoimport and Pyright timings")
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
        print(f"after round {r + 1}: ast.parse {t_base:.1f}s | extract+rule filters {t_ours:.1f}s ({len(codes)} functions, {len(kept)} pass)")
    print(f"throughput: ast.parse {args.rounds * len(paths) / t_base:,.0f} files/s; extract+rule filters {args.rounds * len(paths) / t_ours:,.0f} files/s")
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
    start = time.perf_counter()
    for i in range(0, len(fixed), 250):
        typecheck.typecheck({str(j): code for j, code in enumerate(fixed[i : i + 250])})
    t_tc = time.perf_counter() - start
    print(f"pyright: {len(fixed)} functions in {t_tc:.1f}s = {len(fixed) / t_tc:,.0f} functions/s (batches of 250)")

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
