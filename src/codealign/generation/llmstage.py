"""What every sharded LLM stage shares: picking the shard's items, building the backend, running
the requests through the cache, writing accepted records, rejected outputs and stats.

Shards are joined by :func:`codealign.shards.gather`.

A stage supplies two functions: ``build(item, index) -> list[Request]`` (``index`` is the item's
position in the whole stage input, so per-item seeds do not depend on the number of shards) and
``parse(item, completions) -> (records, rejects)`` where ``completions`` holds, per request,
its list of samples and ``rejects`` is a list of ``(sample, reason, text)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from codealign import io
from codealign.generation import runner
from codealign.generation.backend import BackendSpec, Completion, Request
from codealign.generation.models import fingerprint, is_local, model_path
from codealign.records import Rejected, to_row
from codealign.shards import shard_bounds
from codealign.stats import Stats

log = logging.getLogger("codealign.generation.llmstage")


def backend_spec(stage_cfg: dict, generation: dict, models: dict, threads: int = 1, model: str | None = None) -> BackendSpec:
    """The backend a stage's config asks for (its own ``backend`` or ``generation.backend``)."""
    kind = stage_cfg.get("backend") or generation["backend"]
    name = model or stage_cfg["model"]
    if name not in models:
        raise ValueError(f"model {name!r} is not defined under `models`")
    path = model_path(models, name)
    local = is_local(models, name)
    return BackendSpec(
        kind=kind,
        model_path=path,
        model_fingerprint=fingerprint(path) if local else f"hub:{path}",
        model_local=local,
        settings=dict(generation.get(kind, {})),
        threads=threads,
    )


@dataclass
class ShardOutcome:
    records: list[dict] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    stats: Stats | None = None


def run_shard(
    *,
    stage: str,
    items: list[dict],
    item_id: Callable[[dict], str],
    shard: int,
    n_shards: int,
    build: Callable[[dict, int], list[Request]],
    parse: Callable[[dict, list[list[Completion]]], tuple[list[dict], list[tuple[int, str, str]]]],
    spec: BackendSpec,
    cache_path: str,
    unit_in: str,
    unit_out: str,
    group: Callable[[int], int] | None = None,
    samples_per_item: int = 1,
) -> ShardOutcome:
    """Generate and parse one shard. ``group(index)`` orders submission (grouped few-shot prompts);
    with ``samples_per_item`` > 1 the stats count samples, each accepted or dropped for a reason."""
    start, end = shard_bounds(len(items), shard, n_shards)
    mine = list(enumerate(items[start:end], start))
    per_item = [build(item, index) for index, item in mine]
    flat = [(k, r) for k, requests in enumerate(per_item) for r in requests]
    if group is not None:  # submit items of one few-shot group together; results go back in item order
        flat.sort(key=lambda kr: (group(mine[kr[0]][0]), kr[0]))
    completions, run_stats = runner.run([r for _, r in flat], spec, cache_path)
    by_item: list[list[list[Completion]]] = [[] for _ in mine]
    for (k, _), result in zip(flat, completions):
        by_item[k].append(result)

    stats = Stats(stage, unit_in=unit_in, unit_out=unit_out, n_in=len(mine) * samples_per_item)
    outcome = ShardOutcome(stats=stats)
    for (_, item), results in zip(mine, by_item):
        records, rejects = parse(item, results)
        outcome.records.extend(records)
        for sample, reason, text in rejects:
            stats.drop(reason)
            outcome.rejected.append(Rejected(item_id(item), sample, reason, text[:2000]))
    stats.n_out = len(outcome.records)
    stats.extra.update(
        shard=shard,
        shards=n_shards,
        items=[start, end],
        items_in=len(mine),
        generation=run_stats.to_dict(),
        backend=spec.kind,
        model=spec.model_fingerprint,
    )
    return outcome


def write_shard(outcome: ShardOutcome, schema: pa.Schema, *, out: str, rejected: str, stats_path: str) -> None:
    io.write_rows(out, outcome.records, schema)
    io.write_jsonl(rejected, (to_row(r) for r in outcome.rejected))
    outcome.stats.save(stats_path)
    log.info(outcome.stats.summary())
