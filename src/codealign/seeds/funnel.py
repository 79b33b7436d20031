"""Funnel: the whole seed stage in one JSON — in, out and drops per reason at every step."""

from __future__ import annotations

import logging

from codealign import cli, io, stats

log = logging.getLogger("codealign.seeds.funnel")


def table(steps: list[dict]) -> str:
    """A plain-text rendering of the funnel (printed at the end of the run)."""
    lines = [f"{'step':<24}{'in':>10}{'out':>10}  dropped by reason"]
    for s in steps:
        drops = ", ".join(f"{k} {v}" for k, v in sorted(s["dropped"].items(), key=lambda kv: -kv[1])) or "-"
        lines.append(f"{s['stage']:<24}{s['in']:>10}{s['out']:>10}  {drops}")
    return "\n".join(lines)


def step(paths: list[str]) -> dict:
    """One funnel step from its stats file, or from its shards' stats merged."""
    if len(paths) == 1:
        return stats.load(paths[0])
    parts = [stats.load(p) for p in paths]
    return stats.Stats.merge(parts[0]["stage"], parts).to_dict()


def run(
    *,
    corpus: list[str],
    extract: list[str],
    filter: list[str],
    dedup: str,
    decontaminate: str,
    judge: str,
    out: str,
) -> dict:
    """The seed funnel from every step's stats: the sharded steps' shard stats merged."""
    steps = [step(paths) for paths in (corpus, extract, filter, [dedup], [decontaminate], [judge])]
    funnel = {"steps": steps, "seeds": steps[-1]["out"] if steps else 0}
    io.write_json(out, funnel)
    log.info("seed funnel:\n%s", table(steps))  # to the terminal and into the rule's log
    return funnel


ENTRY = cli.Entry(
    run,
    inputs={name: name for name in ("corpus", "extract", "filter", "dedup", "decontaminate", "judge")},
    outputs={"out": "funnel"},
)

if __name__ == "__main__":
    ENTRY.main()
