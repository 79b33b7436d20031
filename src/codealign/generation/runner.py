"""Run a shard's requests through a backend: cached, resumable, with progress in the log.

Requests are cut into chunks at fixed positions of the shard's request list (the backend's
chunk size); a chunk whose requests are all cached is skipped, any other chunk is generated
whole. A rerun after a kill thus regenerates exactly the unfinished chunks, with the same
batch composition and seeds as an uninterrupted run, and the shard comes out identical. The
backend is only built — the model only loaded — when something is left to generate.
"""

from __future__ import annotations

import logging
import time
from collections import Counter

from codealign import logs
from codealign.generation.backend import Backend, BackendSpec, Completion, Request
from codealign.generation.cache import RequestCache
from codealign.stats import rate

log = logging.getLogger("codealign.generation.runner")


class RunStats(Counter):
    """What running requests did, summed over runs with ``+=``: ``requests``, ``cached`` (found in
    the cache), ``generated`` (requests of the chunks that were generated), ``prompt_tokens``,
    ``completion_tokens``, and ``seconds`` spent generating."""

    COUNTS = ("requests", "cached", "generated", "prompt_tokens", "completion_tokens")

    def to_dict(self) -> dict:
        seconds = float(self["seconds"])
        return {
            **{name: self[name] for name in self.COUNTS},
            "generation_seconds": round(seconds, 2),
            "tokens_per_second": rate(self["completion_tokens"], seconds, 2),
        }


def run(
    requests: list[Request], spec: BackendSpec, cache: str | RequestCache, *, backend: Backend | None = None, compact: bool = True
) -> tuple[list[list[Completion]], RunStats]:
    """Completions for every request, generating only what the cache does not hold. ``cache`` is
    the job's journal path (its entries for these requests are loaded) or a cache the caller
    keeps across calls; with ``compact`` the journal is compacted to these requests' entries."""
    keys = [spec.request_key(r) for r in requests]
    if not isinstance(cache, RequestCache):
        cache = RequestCache(cache, keys=keys)
    stats = RunStats(requests=len(requests), cached=sum(k in cache for k in keys))
    todo = len(requests) - stats["cached"]
    log.info("%d requests: %d cached, %d to generate", len(requests), stats["cached"], todo)
    if todo:
        own = backend is None
        if own:
            spec.check()
            backend = spec.build()
        try:
            stats = _generate(requests, keys, backend, cache, stats)
        finally:
            if own:
                backend.close()
    if compact:
        cache.compact(keys)
    return [cache[k] for k in keys], stats


def _generate(requests, keys, backend, cache, stats) -> RunStats:
    size = backend.chunk_size(requests[0].sampling)
    pending = sum(k not in cache for k in keys)
    progress = logs.Progress(log, pending, "requests")
    for start in range(0, len(requests), size):
        chunk = requests[start : start + size]
        chunk_keys = keys[start : start + size]
        pending_here = sum(k not in cache for k in chunk_keys)
        if not pending_here:
            continue
        reported = 0

        def partial(finished: int) -> None:  # called only while this chunk's generate() runs
            nonlocal reported
            finished = min(finished, pending_here)  # noqa: B023 (this iteration's value: called within it)
            if finished > reported:
                progress.update(finished - reported)
                reported = finished

        began = time.monotonic()
        results = backend.generate(chunk, progress=partial)
        stats["seconds"] += time.monotonic() - began
        cache.put_many(list(zip(chunk_keys, results)))
        tokens = sum(c.completion_tokens for result in results for c in result)
        stats.update(
            generated=len(chunk),
            prompt_tokens=sum(c.prompt_tokens for result in results for c in result[:1]),
            completion_tokens=tokens,
        )
        progress.update(pending_here - reported, tokens=tokens)
    return stats
