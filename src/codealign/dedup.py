"""Exact and near-duplicate detection (MinHash LSH from datasketch), deterministic in what it keeps.

Items are visited in their given order; an item is kept unless it duplicates an item kept
before it, so the first copy always survives and the result does not depend on hash-table
iteration order. Near duplicates are LSH candidates whose estimated Jaccard similarity (word
5-gram shingles on lower-cased text split at non-word characters, as in the paper's script)
reaches the threshold; verifying candidates keeps LSH's false positives out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from datasketch import MinHash, MinHashLSH

_NON_WORD = re.compile(r"\W+")
SCHEME = "affine32"  # datasketch >= 2: collision-free permutations over uint32


def normalize(text: str) -> str:
    """Whitespace-insensitive form used for exact duplicates."""
    return " ".join(text.split())


def shingles(text: str, ngram: int) -> set[bytes]:
    tokens = [t for t in _NON_WORD.split(text.lower()) if t]
    if len(tokens) < ngram:
        return {" ".join(tokens).encode()} if tokens else set()
    return {" ".join(tokens[i : i + ngram]).encode() for i in range(len(tokens) - ngram + 1)}


def exact_duplicates(texts: Sequence[str]) -> list[int | None]:
    """For each text, the index of the first identical (whitespace-normalized) text before it."""
    first: dict[bytes, int] = {}
    out: list[int | None] = []
    for i, text in enumerate(texts):
        key = hashlib.sha256(normalize(text).encode("utf-8", "surrogatepass")).digest()
        out.append(first.get(key))
        first.setdefault(key, i)
    return out


def near_duplicates(
    texts: Sequence[str],
    *,
    threshold: float,
    num_perm: int = 128,
    ngram: int = 5,
    seed: int = 1,
    skip: Sequence[bool] | None = None,
) -> list[int | None]:
    """For each text, the index of an earlier *kept* text it near-duplicates, else None.

    ``skip[i]`` excludes an item from consideration (it is neither kept nor compared), e.g.
    because it was already removed as an exact duplicate.
    """
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    template = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME)
    kept: dict[int, MinHash] = {}
    out: list[int | None] = [None] * len(texts)
    for i, text in enumerate(texts):
        if skip is not None and skip[i]:
            continue
        grams = shingles(text, ngram)
        if not grams:
            continue
        mh = MinHash(num_perm=num_perm, seed=seed, permutations=template.permutations, scheme=SCHEME)
        mh.update_batch(list(grams))
        best = None
        for key in lsh.query(mh):
            j = int(key)
            if kept[j].jaccard(mh) >= threshold and (best is None or j < best):
                best = j
        if best is None:
            lsh.insert(str(i), mh)
            kept[i] = mh
        out[i] = best
    return out


def jaccard(a: str, b: str, ngram: int = 5) -> float:
    """Exact Jaccard similarity of two texts' shingle sets (for tests and diagnostics)."""
    sa, sb = shingles(a, ngram), shingles(b, ngram)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)

