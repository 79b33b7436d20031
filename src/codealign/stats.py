"""Per-stage statistics: counts in, counts out, and every drop counted under its reason.

Every stage writes one of these next to its data file. The funnel figure of the report is
built from them, so the rule is strict: a stage that consumes and produces the same kind of
item must account for every item (``in == out + sum(dropped)``), and ``save`` refuses a stats
object that does not balance.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from codealign import io


class UnbalancedStats(AssertionError):
    pass


@dataclass
class Stats:
    stage: str
    unit_in: str = "items"
    unit_out: str | None = None
    n_in: int = 0
    n_out: int = 0
    dropped: Counter = field(default_factory=Counter)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.unit_out is None:
            self.unit_out = self.unit_in

    @property
    def balanced(self) -> bool:
        """Whether input and output count the same kind of item (so every input is accounted for)."""
        return self.unit_in == self.unit_out

    def drop(self, reason: str, n: int = 1) -> None:
        if n:
            self.dropped[reason] += n

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "unit_in": self.unit_in,
            "unit_out": self.unit_out,
            "in": self.n_in,
            "out": self.n_out,
            "dropped": dict(sorted(self.dropped.items())),
            **self.extra,
        }

    def check(self) -> None:
        if self.balanced and self.n_in != self.n_out + sum(self.dropped.values()):
            raise UnbalancedStats(
                f"{self.stage}: {self.n_in} {self.unit_in} in, {self.n_out} out, "
                f"{sum(self.dropped.values())} dropped {dict(self.dropped)}: some items are unaccounted for"
            )

    def save(self, path: str | os.PathLike) -> None:
        self.check()
        io.write_json(path, self.to_dict())

    def summary(self) -> str:
        drops = ", ".join(f"{k}={v}" for k, v in sorted(self.dropped.items(), key=lambda kv: -kv[1]))
        return f"{self.stage}: {self.n_in} {self.unit_in} in → {self.n_out} {self.unit_out} out" + (
            f" (dropped: {drops})" if drops else ""
        )


def load(path: str | os.PathLike) -> dict[str, Any]:
    return io.read_json(path)
