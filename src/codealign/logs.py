"""Logging for stages: one log file per rule (its ``log:``) plus stderr, and progress lines."""

from __future__ import annotations

import logging
import os
import sys
import time

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup(log_file: str | os.PathLike | None = None, level: int = logging.INFO) -> logging.Logger:
    """Send ``codealign`` logs to stderr and, when given, to the rule's log file."""
    root = logging.getLogger("codealign")
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        os.makedirs(os.path.dirname(os.path.abspath(log_file)), exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w"))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT, datefmt="%H:%M:%S"))
        root.addHandler(handler)
    root.propagate = False
    return root


class Progress:
    """Log 'done/total, rate, ETA' at most every ``interval`` seconds (and at the end).

    ``tokens`` counts a second quantity (generated tokens) so LLM stages log tokens/s too.
    """

    def __init__(self, logger: logging.Logger, total: int, what: str = "items", interval: float = 15.0):
        self.logger = logger
        self.total = total
        self.what = what
        self.interval = interval
        self.done = 0
        self.tokens = 0
        self.start = time.monotonic()
        self._last = self.start

    def update(self, n: int = 1, tokens: int = 0) -> None:
        self.done += n
        self.tokens += tokens
        now = time.monotonic()
        if now - self._last >= self.interval or self.done >= self.total:
            self._last = now
            self.logger.info(self.line())

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        eta = f"{left:,.0f}s" if left != float("inf") else "?"
        tok = f", {self.tokens / elapsed:,.1f} tok/s" if self.tokens else ""
        return f"{self.done}/{self.total} {self.what} ({rate:,.2f}/s{tok}, elapsed {elapsed:,.0f}s, ETA {eta})"
