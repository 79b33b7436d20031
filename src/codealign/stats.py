"""Per-stage statistics: counts in, counts out, and every drop counted under its reason.

Every stage writes one of these next to its data file. The funnel figure of the report is
built from them, so the rule is strict: a stage that consumes and produces the same kind of
item must account for every item (``in == out + sum(dropped)``), and ``save`` refuses a stats
object that does not balance.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from codealign import io

log = logging.getLogger("codealign.stats")

# Per-shard bookkeeping that means nothing once shards are merged.
SHARD_KEYS = ("shard", "shards", "items")
# Per-shard summaries that cannot be added up (a median of medians is not a median).
UNMERGEABLE = ("median_duration_s",)

# Rates are never summed: merge recomputes each from the sums it rests on, in this one place.
# key path → (numerator path, denominator path, digits)
RATES = {
    ("generation", "tokens_per_second"): (("generation", "completion_tokens"), ("generation", "generation_seconds"), 2),
    ("programs_per_second",): (("executed",), ("execution_seconds",), 1),
    ("pass_rate",): (("verdicts", "pass"), ("in",), 4),
    ("generation", "generation_seconds"): (("generation", "generation_seconds"), None, 2),
}


class UnbalancedStats(AssertionError):
    pass


class ShardMismatch(ValueError):
    """Shard stats that disagree with each other or with the rows a gather read."""


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

    @classmethod
    def merge(cls, stage: str, parts: list[dict[str, Any]], *, rows: int | None = None, rows_are: str = "out") -> Stats:
        """The stats of a sharded stage: the shards' saved stats (``to_dict`` form) added up.

        Counts are summed, drop reasons and counters (``verdicts``, ``generation`` …) are summed
        key by key, descriptions that every shard shares (``backend``, ``model``, ``sandbox``) are
        kept from the first shard that has one, and rates are recomputed from the sums
        (:data:`RATES`). ``rows``, when given, is the number of rows the gather actually read: it
        must equal the shards' summed ``out`` (or ``in``, with ``rows_are="in"``): shards whose data
        and stats disagree are refused.
        """
        if not parts:
            raise ShardMismatch(f"{stage}: no shard stats to merge")
        units = {(p["unit_in"], p["unit_out"]) for p in parts}
        if len(units) > 1:
            raise ShardMismatch(f"{stage}: shards count different units {sorted(units)}")
        unit_in, unit_out = units.pop()
        merged = cls(stage, unit_in=unit_in, unit_out=unit_out)
        extra: dict[str, Any] = {}
        for part in parts:
            merged.n_in += part["in"]
            merged.n_out += part["out"]
            for reason, n in part["dropped"].items():
                merged.drop(reason, n)
            rest = {
                k: v
                for k, v in part.items()
                if k not in ("stage", "unit_in", "unit_out", "in", "out", "dropped", *SHARD_KEYS, *UNMERGEABLE)
            }
            extra = _merge_values(extra, rest)
        merged.extra = extra
        merged.extra["shards"] = len(parts)
        _recompute_rates(merged)
        counted = {"out": merged.n_out, "in": merged.n_in}.get(rows_are, merged.extra.get(rows_are))
        if rows is not None and rows != counted:
            raise ShardMismatch(f"{stage}: {rows} rows gathered but the shard stats count {counted} {rows_are}")
        return merged

    def check(self) -> None:
        if self.balanced and self.n_in != self.n_out + sum(self.dropped.values()):
            raise UnbalancedStats(
                f"{self.stage}: {self.n_in} {self.unit_in} in, {self.n_out} out, "
                f"{sum(self.dropped.values())} dropped {dict(self.dropped)}: some items are unaccounted for"
            )

    def save(self, path: str | os.PathLike) -> Stats:
        """Check, write and log the stats: a job's last word on what it did."""
        self.check()
        io.write_json(path, self.to_dict())
        log.info(self.summary())
        return self

    def summary(self) -> str:
        drops = ", ".join(f"{k}={v}" for k, v in sorted(self.dropped.items(), key=lambda kv: -kv[1]))
        return f"{self.stage}: {self.n_in} {self.unit_in} in → {self.n_out} {self.unit_out} out" + (f" (dropped: {drops})" if drops else "")


def load(path: str | os.PathLike) -> dict[str, Any]:
    return io.read_json(path)


def rate(numerator: float, denominator: float | None, digits: int) -> float | None:
    """``numerator / denominator`` rounded, or None where nothing was measured."""
    return round(numerator / denominator, digits) if denominator else None


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _summable(value: Any) -> bool:
    """A number, or a mapping whose every leaf is a number (or None): a count to add up."""
    if _numeric(value):
        return True
    return isinstance(value, dict) and all(v is None or _summable(v) for v in value.values())


def _merge_values(total: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    out = dict(total)
    for key, value in part.items():
        if key not in out or out[key] is None:
            out[key] = value
        elif _summable(value) and _summable(out[key]) and isinstance(value, dict) == isinstance(out[key], dict):
            out[key] = _merge_values(out[key], value) if isinstance(value, dict) else out[key] + value
        elif isinstance(out[key], dict) and not any(v is not None for v in out[key].values()):
            out[key] = value  # a description only shards that did something have (a sandbox that started)
    return out


def _lookup(stats: Stats, path: tuple[str, ...]) -> Any:
    if path == ("in",):
        return stats.n_in
    value: Any = stats.extra
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _recompute_rates(stats: Stats) -> None:
    for path, (num, den, digits) in RATES.items():
        parent = stats.extra
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(parent, dict) or path[-1] not in parent:
            continue
        n = _lookup(stats, num) or 0
        if den is None:  # a summed figure, only rounded
            parent[path[-1]] = round(n, digits)
            continue
        d = _lookup(stats, den)
        parent[path[-1]] = rate(n, d, digits)
