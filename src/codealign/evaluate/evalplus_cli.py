"""``python -m codealign.evaluate.evalplus_cli ARGS``: ``python -m evalplus.evaluate ARGS`` that ends
when the evaluation does.

EvalPlus 0.3.1 watches for stuck samples with a non-daemon thread that sleeps 20 s between looks,
so its command line lingers for up to 20 s after the results file is written: on the default run,
20 of the 22 s of every eval_score job, with 1 s of CPU. ``evaluate`` writes the results file with
``with open(...)`` and its process pool has shut down when it returns, so nothing is lost by exiting
at once; the exit status is EvalPlus's.
"""

from __future__ import annotations

import os
import sys
import traceback


def run(argv: list[str]) -> int:
    """EvalPlus's own command line on ``argv``; its exit status."""
    from evalplus.evaluate import main

    sys.argv = ["evalplus.evaluate", *argv]
    try:
        main()
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    except Exception:
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    status = run(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # not sys.exit: that would wait for EvalPlus's sleeping watcher thread
