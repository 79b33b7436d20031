"""What every sharded LLM stage shares: picking the shard's items, building the backend, running
the requests through the cache, writing accepted records, rejected outputs and stats.

Shards are joined by :func:`codealign.shards.gather`.

A stage supplies two functions: ``build(item, index) -> list[Request]`` (``index`` is the item's
position in the whole stage input, so per-item seeds do not depend on the number of shards) and
``parse(item, completions) -> (records, rejects)`` where ``completions`` holds, per request,
its list of samples and ``rejects`` is a list of ``(sample, reason, text)``.

A stage that reads one table of items declares itself once as a subclass of :class:`Stage` — its
rule, record, item id column and stats units in the class header, those two functions as methods
that take the :class:`Job` as well — and :func:`shard_entry` / :func:`gather_entry` make the job
function its rule and ``python -m`` call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from codealign import cli, io
from codealign.generation import runner
from codealign.generation.backend import BackendSpec, Completion, Request
from codealign.generation.models import fingerprint, is_local, model_path
from codealign.generation.prompts import choose, load_bank
from codealign.records import Rejected, schema, to_row
from codealign.shards import gather, shard_bounds
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


@dataclass(frozen=True)
class ShardArgs:
    """What every LLM shard job is given besides its inputs and its stage's config section: which
    shard of how many, the generation and model settings, the seed, where its outputs and request
    cache go, and its threads. Every LLM rule passes these alike (each is ``use rule seeds_judge``),
    and :class:`codealign.cli.Entry` builds this from them."""

    shard: int
    n_shards: int
    generation: dict
    models: dict
    random_seed: int
    out: str
    rejected: str
    stats_path: str
    cache_path: str
    threads: int = 1

    def spec(self, stage_cfg: dict) -> BackendSpec:
        """The backend ``stage_cfg`` asks for, with this job's threads."""
        return backend_spec(stage_cfg, self.generation, self.models, self.threads)


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


# --- one declaration per stage ----------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One shard job as a stage's ``build`` and ``parse`` see it."""

    cfg: dict  # the stage's own settings (``section`` of the rule's config)
    rule_cfg: dict  # the config section the rule passes
    random_seed: int
    spec: BackendSpec
    bank: Any  # the few-shot bank, when the stage loads one
    index_of: dict[str, int]  # item id → position in the whole stage input

    def examples(self, index: int) -> list:
        """The few-shot examples of item ``index`` (a fresh sample per item, or its group's)."""
        fs = self.cfg["fewshot"]
        return choose(self.bank, self.cfg["k"], index, self.random_seed, fs["selection"], fs["groups"])[0]


class Stage:
    """A sharded LLM stage over one table of items. A stage is a subclass that names, in its header,
    its rule, its record, the id column of its items, the units its stats count, and whether it
    draws few-shot examples from the bank at ``fewshot_bank``::

        class Concepts(llmstage.Stage, name="instruct_concepts", record=Concepts, item_id="seed_id",
                       units=("seeds", "seeds"), bank=True):
            \"""S→C for one shard of the judged seeds.\"""   # the shard job's description

    and defines ``build(job, item, index)`` and ``parse(job, item, completions)``. The other
    methods are hooks with defaults."""

    name: str
    record: type
    item_id: str
    units: tuple[str, str]
    uses_bank: bool

    def __init_subclass__(cls, *, name: str, record: type, item_id: str, units: tuple[str, str] = ("items", "items"), bank: bool = False):
        super().__init_subclass__()
        cls.name, cls.record, cls.item_id, cls.units, cls.uses_bank = name, record, item_id, units, bank

    def build(self, job: Job, item: dict, index: int) -> list[Request]:
        raise NotImplementedError

    def parse(self, job: Job, item: dict, results: list[list[Completion]]) -> tuple[list[dict], list[tuple[int, str, str]]]:
        raise NotImplementedError

    def section(self, rule_cfg: dict) -> dict:
        """The stage's own settings within its rule's config section."""
        return rule_cfg

    def stats_units(self, rule_cfg: dict) -> tuple[str, str]:
        """(unit in, unit out) of the shard's stats."""
        return self.units

    def select(self, items: list[dict], rule_cfg: dict, random_seed: int) -> list[dict]:
        """The items the stage works on, of all its input (by default all of them)."""
        return items

    def samples_per_item(self, section: dict) -> int:
        return 1

    def finish(self, outcome: ShardOutcome) -> None:
        """Extra stats, once every item of the shard is parsed."""


def shard_function(stage: Stage) -> Callable[..., None]:
    """The job function of one shard of ``stage``, as its rule and ``python -m`` call it."""

    def run_stage_shard(*, items_path: str, cfg: dict, args: ShardArgs) -> None:
        section = stage.section(cfg)
        items = stage.select(io.read_rows(items_path), cfg, args.random_seed)
        job = Job(
            cfg=section,
            rule_cfg=cfg,
            random_seed=args.random_seed,
            spec=args.spec(cfg),
            bank=load_bank(cfg["fewshot_bank"]) if stage.uses_bank else None,
            index_of={item[stage.item_id]: i for i, item in enumerate(items)},
        )
        fs = section["fewshot"]
        unit_in, unit_out = stage.stats_units(cfg)
        outcome = run_shard(
            stage=stage.name,
            items=items,
            item_id=lambda item: item[stage.item_id],
            shard=args.shard,
            n_shards=args.n_shards,
            build=lambda item, index: stage.build(job, item, index),
            parse=lambda item, results: stage.parse(job, item, results),
            spec=job.spec,
            cache_path=args.cache_path,
            unit_in=unit_in,
            unit_out=unit_out,
            samples_per_item=stage.samples_per_item(section),
            group=(lambda i: i % fs["groups"]) if fs["selection"] == "grouped" else None,
        )
        stage.finish(outcome)
        write_shard(outcome, schema(stage.record), out=args.out, rejected=args.rejected, stats_path=args.stats_path)

    run_stage_shard.__qualname__ = run_stage_shard.__name__ = f"run_shard[{stage.name}]"
    run_stage_shard.__doc__ = type(stage).__doc__
    return run_stage_shard


def gather_function(stage: Stage) -> Callable[..., Stats]:
    """The job function that joins the shards of ``stage`` and merges their stats."""

    def gather_stage(*, shards: list[str], shard_stats: list[str], out: str, stats_path: str) -> Stats:
        stats = gather(stage=stage.name, shards=shards, shard_stats=shard_stats, out=out, schema=schema(stage.record))
        return stats.save(stats_path)

    gather_stage.__qualname__ = gather_stage.__name__ = f"gather[{stage.name}]"
    gather_stage.__doc__ = f"Join the {stage.name} shards and merge their stats."
    return gather_stage


def shard_entry(stage: Stage, *, items: str, out: str, section: str) -> cli.Entry:
    """How rule ``stage.name`` calls a shard: its items input, its main output and its config section."""
    return cli.Entry(
        shard_function(stage),
        inputs={"items_path": items},
        outputs={"out": out, "rejected": "rejected", "stats_path": "stats"},
        params={"n_shards": "shards", "cache_path": "cache"},
        config={"cfg": section, "generation": "generation", "models": "models", "random_seed": "random_seed"},
        wildcards={"shard": "shard"},
        bundle=("args", ShardArgs),
    )


def gather_entry(stage: Stage, *, out: str) -> cli.Entry:
    """How rule ``<stage.name>_gather`` calls the gather of ``stage``."""
    return cli.Entry(
        gather_function(stage), inputs={"shards": "shards", "shard_stats": "shard_stats"}, outputs={"out": out, "stats_path": "stats"}
    )
