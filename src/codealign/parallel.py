"""Batches over worker processes, where a worker that dies costs its item, never the job.

``multiprocessing.Pool`` waits forever for the result of a worker killed by a segfault or the
kernel's OOM killer. ``concurrent.futures.ProcessPoolExecutor`` raises ``BrokenProcessPool``
instead; :func:`map_batches` then re-runs the earliest unfinished batch one item at a time, each
in a process of its own, gives every item whose process dies again to ``lost``, and carries on
with a fresh pool. Results come back in the batches' order.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

log = logging.getLogger("codealign.parallel")


def _alone(fn: Callable[[list], list], item: Any, lost: Callable[[Any], Any]) -> list:
    with ProcessPoolExecutor(1, mp_context=mp.get_context("fork")) as one:
        try:
            return one.submit(fn, [item]).result()
        except BrokenProcessPool:
            log.warning("a worker process died on one item; it is counted as lost")
            return [lost(item)]


def map_batches(
    fn: Callable[[list], list], batches: Iterable[list], processes: int, lost: Callable[[Any], Any], window: int | None = None
) -> Iterator[list]:
    """``fn(batch)`` for every batch, in order, on ``processes`` forked workers (in this process
    when 1). ``window`` bounds the batches in flight (default 4 per process)."""
    if processes <= 1:
        yield from map(fn, batches)
        return
    pending = iter(batches)
    window = window or 4 * processes
    queued: list[list] = []
    while True:
        with ProcessPoolExecutor(processes, mp_context=mp.get_context("fork")) as pool:
            futures = [pool.submit(fn, b) for b in queued]
            broken = False
            while True:
                while len(futures) < window:
                    batch = next(pending, None)
                    if batch is None:
                        break
                    queued.append(batch)
                    futures.append(pool.submit(fn, batch))
                if not futures:
                    return
                try:
                    result = futures[0].result()
                except BrokenProcessPool:
                    broken = True
                    break
                futures.pop(0)
                queued.pop(0)
                yield result
        if broken:  # the earliest unfinished batch, item by item; the rest go to a fresh pool
            first = queued.pop(0)
            yield [row for item in first for row in _alone(fn, item, lost)]
