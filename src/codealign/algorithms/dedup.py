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
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

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
        key = exact_key(text)
        out.append(first.get(key))
        first.setdefault(key, i)
    return out


def exact_key(text: str) -> bytes:
    """The key exact duplicates share: a hash of the whitespace-normalized text (16 bytes)."""
    return hashlib.sha256(normalize(text).encode("utf-8", "surrogatepass")).digest()[:16]


def signature(text: str, *, num_perm: int = 128, ngram: int = 5, seed: int = 1) -> bytes | None:
    """The MinHash signature of ``text``'s shingles as bytes (``num_perm`` uint32 values), or None
    for a text without words. Computed where the text is (a shard job) and compared later."""
    grams = shingles(text, ngram)
    if not grams:
        return None
    mh = MinHash(num_perm=num_perm, seed=seed, permutations=_permutations(num_perm, seed), scheme=SCHEME)
    mh.update_batch(list(grams))
    return mh.hashvalues.astype(np.uint32).tobytes()


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int):
    return MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations


class NearDuplicates:
    """First-wins near-duplicate detection over signatures fed in order: :meth:`check` returns the
    earlier kept item a signature near-duplicates (estimated Jaccard ≥ ``threshold``), or None —
    and then keeps it. Holds only the kept items' signatures and their LSH buckets."""

    def __init__(self, *, threshold: float, num_perm: int = 128, seed: int = 1):
        self.threshold = threshold
        self.num_perm = num_perm
        self.seed = seed
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.kept: dict[int, LeanMinHash] = {}

    def check(self, key: int, sig: bytes) -> int | None:
        values = np.frombuffer(sig, dtype=np.uint32)
        if len(values) != self.num_perm:
            raise ValueError(f"a signature of {len(values)} values where {self.num_perm} were configured (num_perm changed?)")
        mh = LeanMinHash(seed=self.seed, hashvalues=values, scheme=SCHEME)
        best = None
        for other in self.lsh.query(mh):
            j = int(other)
            if (best is None or j < best) and self.kept[j].jaccard(mh) >= self.threshold:
                best = j
        if best is None:
            self.lsh.insert(str(key), mh)
            self.kept[key] = mh
        return best


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
    index = NearDuplicates(threshold=threshold, num_perm=num_perm, seed=seed)
    out: list[int | None] = [None] * len(texts)
    for i, text in enumerate(texts):
        if skip is not None and skip[i]:
            continue
        sig = signature(text, num_perm=num_perm, ngram=ngram, seed=seed)
        if sig is not None:
            out[i] = index.check(i, sig)
    return out


def jaccard(a: str, b: str, ngram: int = 5) -> float:
    """Exact Jaccard similarity of two texts' shingle sets (for tests and diagnostics)."""
    sa, sb = shingles(a, ngram), shingles(b, ngram)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)
