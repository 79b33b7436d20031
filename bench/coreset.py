"""KCenterGreedy on 100k × 384 embeddings: codealign's chunked greedy against a straightforward NumPy
greedy, side by side in one run (time per pick and peak memory, both picking the same items).

The straightforward version recomputes ``np.linalg.norm(x - center, axis=1)`` per pick, which
materializes an n × d difference array each time; codealign's uses precomputed squared norms and
one matrix–vector product per chunk of rows.

    python bench/coreset.py [--n 100000] [--dims 384] [--k 100]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from codealign.codeocean.coreset import k_center_greedy


def naive(x: np.ndarray, k: int, start: int) -> list[int]:
    picks = [start]
    nearest = np.linalg.norm(x - x[start], axis=1)
    while len(picks) < k:
        far = int(np.argmax(nearest))
        picks.append(far)
        nearest = np.minimum(nearest, np.linalg.norm(x - x[far], axis=1))
    return picks


def measure(fn):
    tracemalloc.start()
    began = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


def embeddings(n: int, dims: int, seed: int) -> np.ndarray:
    """Unit vectors around 200 cluster centers: shaped like sentence embeddings of a code corpus."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(200, dims)).astype(np.float32)
    x = centers[rng.integers(200, size=n)] + 0.6 * rng.normal(size=(n, dims)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--dims", type=int, default=384)
    p.add_argument("--k", type=int, default=100)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    x = embeddings(args.n, args.dims, 0)
    print(f"{args.n} × {args.dims} float32 embeddings ({x.nbytes / 2**20:.0f} MiB), k = {args.k}")
    times = {"naive": [], "codealign": []}
    peaks = {}
    for _ in range(args.rounds):  # interleaved: the machine's noise hits both
        ours, t, peaks["codealign"] = measure(lambda: k_center_greedy(x, args.k, start=0)[0].tolist())
        times["codealign"].append(t)
        theirs, t, peaks["naive"] = measure(lambda: naive(x, args.k, start=0))
        times["naive"].append(t)
    agree = sum(a == b for a, b in zip(ours, theirs))
    for name in ("naive", "codealign"):
        best = min(times[name])
        print(f"{name:>10}: {best:7.2f} s ({1000 * best / args.k:6.1f} ms/pick), peak extra memory {peaks[name] / 2**20:7.1f} MiB")
    print(
        f"speed-up {min(times['naive']) / min(times['codealign']):.1f}x, memory {peaks['naive'] / peaks['codealign']:.1f}x less; "
        f"same picks: {agree}/{args.k}"
    )


if __name__ == "__main__":
    main()
