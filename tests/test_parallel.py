"""A worker process that dies costs its item, never the job, and results keep their order."""

import os
import signal

from codealign import parallel


def square_or_die(batch):
    out = []
    for x in batch:
        if x == 13:
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
        out.append(x * x)
    return out


def test_a_killed_worker_loses_only_its_item():
    batches = [list(range(i, i + 5)) for i in range(0, 30, 5)]
    results = list(parallel.map_batches(square_or_die, batches, processes=2, lost=lambda x: ("lost", x)))
    flat = [r for batch in results for r in batch]
    assert flat == [("lost", 13) if x == 13 else x * x for x in range(30)]
    assert [len(b) for b in results] == [5] * 6


def test_one_process_runs_in_this_one():
    assert list(parallel.map_batches(lambda b: [os.getpid()] * len(b), [[1], [2]], processes=1, lost=None)) == [
        [os.getpid()],
        [os.getpid()],
    ]
