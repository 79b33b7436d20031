"""CodeOcean generator–discriminator: one shard of coreset items through both models, batch by batch.

Per item (in coreset rank order; the item's position seeds every random choice):

1. a task is drawn from ``codeocean.generate.tasks`` (weights); code translation needs a target
   language (``translation`` pairs), code repair a bug that :func:`tasks.inject_bug` can plant —
   an item that can do neither falls back to the other tasks;
2. the **generator** writes instruction and solution, shown ``k`` bank examples of the task and
   the latest ``pool_examples`` accepted items of that task;
3. the **discriminator** answers the task's checklist, one yes/no question per request, shown the
   latest accepted (good) and rejected (bad) items of the task with their answers — the bank's
   until the pools have some; the item is accepted when every answer is Yes (``min_yes``);
4. accepted and rejected items join bounded good/bad pools (``pool_size`` per task), so later
   batches see them as examples. Pools grow only between batches, in item order, so a shard's
   output depends only on its items and the cached completions — a killed shard resumes from
   the request cache and comes out identical;
5. code solutions in Python are run in the sandbox as written (``executes``): an extra signal,
   recorded but not used to accept.

Generation and discrimination interleave batch by batch because each batch's prompts depend on
the verdicts of the batches before it, so they are one job per shard rather than two stages.
"""

from __future__ import annotations

import logging
import random
from collections import Counter, deque
from dataclasses import dataclass, field, replace

from codealign import cli, io
from codealign.codeocean import tasks
from codealign.codeocean.tasks import CHECKLIST, CODE_TASKS, Item
from codealign.generation import runner
from codealign.generation.backend import Backend, BackendSpec, Request, Sampling
from codealign.generation.cache import RequestCache
from codealign.generation.llmstage import ShardArgs
from codealign.records import Rejected, TaskItem, content_id, schema, to_row
from codealign.shards import gather, shard_bounds
from codealign.stats import Stats

log = logging.getLogger("codealign.codeocean.generate")
# The bank shipped with the package that this stage prompts with by default: part of its code version.
PACKAGE_DATA = ("data/codeocean_fewshot.yaml",)


class LazyBackend:
    """A backend built on first use and shared by every request list of a shard (one model load)."""

    def __init__(self, spec: BackendSpec):
        self.spec = spec
        self._backend: Backend | None = None

    def _get(self) -> Backend:
        if self._backend is None:
            self.spec.check()
            self._backend = self.spec.build()
        return self._backend

    def chunk_size(self, sampling: Sampling) -> int:
        return self._get().chunk_size(sampling)

    def generate(self, requests: list[Request], progress=None) -> list:
        return self._get().generate(requests, progress=progress)

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None


def plan(raw: dict, index: int, cfg: dict, random_seed: int) -> Item:
    """The task of one raw item and everything we fill in for it."""
    rng = random.Random(f"{random_seed}/codeocean/{index}")
    weights = {t: w for t, w in cfg["tasks"].items() if w > 0}
    targets = [b for a, b in cfg["translation"] if a == raw["language"]]
    while weights:
        names = sorted(weights)
        task = rng.choices(names, [weights[t] for t in names])[0]
        base = Item(raw["raw_id"], task, raw["language"], raw["language"], raw["code"].rstrip("\n"))
        if task == "code summarization":
            return base
        if task == "code generation":
            signature = raw["code"].strip().split("\n")[0].rstrip("{ :").strip() + (":" if raw["language"] == "python" else "")
            comment = raw["comment"].strip()
            return replace(base, information=signature, reference=f"{_comment(comment, raw['language'])}\n{raw['code'].rstrip()}")
        if task == "code translation" and targets:
            return replace(base, target_language=rng.choice(sorted(targets)))
        if task == "code repair":
            planted = tasks.inject_bug(raw["code"].rstrip("\n") + "\n", raw["language"], rng)
            if planted:
                return replace(base, information=planted[0].rstrip("\n"), bug=planted[1], reference=raw["code"].rstrip("\n"))
        del weights[task]
    raise ValueError(f"no configured task applies to raw item {raw['raw_id']} ({raw['language']})")


def _comment(comment: str, language: str) -> str:
    if language == "python":
        return "\n".join("# " + line if line else "#" for line in comment.splitlines())
    return "\n".join("// " + line if line else "//" for line in comment.splitlines())


class Pools:
    """Bounded per-task pools of accepted (good) and rejected (bad) items, seeded by the bank."""

    def __init__(self, bank_good: list[Item], bank_bad: list[Item], size: int):
        self.bank_good, self.bank_bad = bank_good, bank_bad
        self.good: dict[str, deque] = {t: deque(maxlen=size) for t in tasks.TASKS}
        self.bad: dict[str, deque] = {t: deque(maxlen=size) for t in tasks.TASKS}

    def generator_examples(self, item: Item, k: int, pool_examples: int) -> list[Item]:
        bank = [e for e in self.bank_good if e.task == item.task]
        bank.sort(key=lambda e: (e.language != item.language, e.target_language != item.target_language, e.id))
        pool = list(self.good[item.task])[-pool_examples:] if pool_examples else []
        return bank[:k] + pool

    def discriminator_examples(self, item: Item, k_good: int, k_bad: int) -> list[Item]:
        def latest(pool: deque, bank: list[Item], k: int) -> list[Item]:
            """The pool's latest k, topped up from the bank (examples in the item's language last)."""
            if not k:
                return []
            seed = sorted((e for e in bank if e.task == item.task), key=lambda e: (e.language == item.language, e.id))
            return (seed + list(pool))[-k:]

        good = latest(self.good[item.task], self.bank_good, k_good)
        bad = latest(self.bad[item.task], self.bank_bad, k_bad)
        mixed = []
        for i in range(max(len(good), len(bad))):  # alternate, a rejection first
            mixed += bad[i : i + 1] + good[i : i + 1]
        return mixed

    def add(self, item: Item, accepted: bool) -> None:
        (self.good if accepted else self.bad)[item.task].append(item)


@dataclass(frozen=True)
class Model:
    """A model the shard asks (the generator or the discriminator): what it is and what serves it."""

    spec: BackendSpec
    backend: Backend


@dataclass
class ShardRun:
    """One generator–discriminator shard in progress: its two models, its growing example pools,
    the request cache both models share, and what it has counted so far."""

    cfg: dict
    random_seed: int
    generator: Model
    discriminator: Model
    pools: Pools
    cache: RequestCache
    stats: Stats
    totals: runner.RunStats = field(default_factory=runner.RunStats)
    planned: Counter = field(default_factory=Counter)
    failed_checks: Counter = field(default_factory=Counter)
    answers_seen: Counter = field(default_factory=Counter)
    records: list[dict] = field(default_factory=list)
    rejects: list[Rejected] = field(default_factory=list)
    used: list[str] = field(default_factory=list)  # request keys, for compacting the cache

    def _complete(self, requests: list[Request], model: Model) -> list:
        completions, run_stats = runner.run(requests, model.spec, self.cache, backend=model.backend, compact=False)
        self.used += [model.spec.request_key(r) for r in requests]
        self.totals += run_stats
        return completions

    def generate(self, items: list[Item], indices: range) -> list[tuple[Item, list[Item]]]:
        """The generator's output for a batch of planned items: those that parsed, with their examples."""
        gen = self.cfg["generate"]
        self.planned.update(it.task for it in items)
        shots = [self.pools.generator_examples(it, gen["k"], gen["pool_examples"]) for it in items]
        sampling = dict(temperature=gen["temperature"], top_p=gen["top_p"], max_new_tokens=gen["max_new_tokens"], stop=tasks.STOP)
        requests = [
            Request(tasks.generator_prompt(it, ex), Sampling(**sampling, seed=self.random_seed + i))
            for it, ex, i in zip(items, shots, indices)
        ]
        parsed: list[tuple[Item, list[Item]]] = []
        for it, ex, result in zip(items, shots, self._complete(requests, self.generator)):
            outcome = tasks.parse_generation(result[0].text, result[0].finish_reason, it)
            if isinstance(outcome, str):
                self.stats.drop(outcome)
                self.rejects.append(Rejected(it.raw_id, 0, outcome, result[0].text[:2000]))
                continue
            it.instruction, it.solution = outcome
            parsed.append((it, ex))
        return parsed

    def discriminate(self, parsed: list[tuple[Item, list[Item]]]) -> None:
        """The discriminator's answer to every checklist question of every parsed item."""
        disc = self.cfg["discriminate"]
        questions = [
            (it, key, self.pools.discriminator_examples(it, disc["k_good"], disc["k_bad"]))
            for it, _ in parsed
            for key, _ in CHECKLIST[it.task]
        ]
        if not questions:
            return
        sampling = Sampling(temperature=0.0, max_new_tokens=disc["max_new_tokens"], stop=("\n",), seed=self.random_seed)
        requests = [Request(tasks.discriminator_prompt(it, key, ex), sampling) for it, key, ex in questions]
        for (it, key, _), result in zip(questions, self._complete(requests, self.discriminator)):
            verdict, reason = tasks.parse_answer(result[0].text)
            self.answers_seen[verdict] += 1
            it.answers[key] = f"{verdict.capitalize()}. {reason}".strip() if verdict != "undecided" else f"No. (undecided: {reason})"
            if verdict != "yes":
                self.failed_checks[key] += 1

    def keep(self, parsed: list[tuple[Item, list[Item]]], batch: int) -> None:
        """Accept or reject each parsed item by its answers; either way it joins a pool."""
        for it, ex in parsed:
            accepted = accepts(it.answers, self.cfg["discriminate"]["min_yes"])
            it.id = content_id(it.raw_id, it.task, it.instruction, it.solution)
            self.pools.add(it, accepted)
            if not accepted:
                self.stats.drop("rejected_by_discriminator")
            self.records.append(_record(it, accepted, [e.id for e in ex], batch))

    def final_stats(self, **extra) -> Stats:
        """The shard's stats once every batch is kept: accepted items out, what was planned,
        answered and failed by task and check, and the generation's totals."""
        stats = self.stats
        stats.n_out = sum(r["accepted"] for r in self.records)
        stats.extra.update(
            **extra,
            generated=len(self.records),
            planned_tasks=dict(sorted(self.planned.items())),
            accepted_by_task=dict(sorted(Counter(r["task"] for r in self.records if r["accepted"]).items())),
            failed_checks=dict(sorted(self.failed_checks.items())),
            answers=dict(sorted(self.answers_seen.items())),
            generation=self.totals.to_dict(),
            backend=self.generator.spec.kind,
            model=self.generator.spec.model_fingerprint,
            discriminator_model=self.discriminator.spec.model_fingerprint,
        )
        return stats


def run_shard(*, raw_path: str, coreset_path: str, cfg: dict, execution: dict, args: ShardArgs) -> Stats:
    """Generate and judge one shard of the coreset, batch by batch (the pools grow between batches)."""
    raw = {r["raw_id"]: r for r in io.read_rows(raw_path)}
    picks = sorted(io.read_rows(coreset_path), key=lambda p: p["rank"])
    start, end = shard_bounds(len(picks), args.shard, args.n_shards)
    gen_spec, disc_spec = args.spec(cfg["generate"]), args.spec(cfg["discriminate"])
    generator = Model(gen_spec, LazyBackend(gen_spec))
    discriminator = generator if disc_spec == gen_spec else Model(disc_spec, LazyBackend(disc_spec))
    good, bad = tasks.load_bank(cfg["fewshot_bank"])
    run = ShardRun(
        cfg=cfg,
        random_seed=args.random_seed,
        generator=generator,
        discriminator=discriminator,
        pools=Pools(good, bad, cfg["generate"]["pool_size"]),
        cache=RequestCache(args.cache_path),  # the generator's and the discriminator's requests, across batches
        stats=Stats("codeocean_generate", unit_in="functions", n_in=end - start),
    )
    size = cfg["generate"]["batch_size"]
    try:
        for batch, lo in enumerate(range(start, end, size)):
            indices = range(lo, min(lo + size, end))
            parsed = run.generate([plan(raw[picks[i]["raw_id"]], i, cfg["generate"], args.random_seed) for i in indices], indices)
            run.discriminate(parsed)
            run.keep(parsed, batch)
            accepted = sum(r["accepted"] for r in run.records)
            log.info("batch %d: %d items, %d parsed, %d accepted so far", batch, len(indices), len(parsed), accepted)
    finally:
        generator.backend.close()
        discriminator.backend.close()

    run.cache.compact(run.used)
    executed = _execute(run.records, execution, args.threads)
    io.write_rows(args.out, run.records, schema(TaskItem))
    io.write_jsonl(args.rejected, (to_row(r) for r in run.rejects))
    stats = run.final_stats(shard=args.shard, shards=args.n_shards, items=[start, end], executes=dict(sorted(executed.items())))
    return stats.save(args.stats_path)


def accepts(answers: dict[str, str], min_yes: float) -> bool:
    """The overall verdict: at least ``min_yes`` of the checklist answered Yes (undecided counts as No)."""
    yes = sum(a.startswith("Yes") for a in answers.values())
    return bool(answers) and yes >= min_yes * len(answers) - 1e-9


# The columns a task item carries over from the item the generator wrote, under the same names.
ITEM_TEXT = ("raw_id", "task", "language", "target_language", "instruction", "information", "solution", "bug", "reference")


def _record(it: Item, accepted: bool, fewshot_ids: list[str], batch: int) -> dict:
    reasons = "; ".join(f"{k}: {a}" for k, a in it.answers.items() if not a.startswith("Yes"))
    return to_row(
        TaskItem(
            item_id=it.id,
            **{name: getattr(it, name) for name in ITEM_TEXT},
            accepted=accepted,
            checklist=[f"{k}: {a.split('.')[0].lower()}" for k, a in it.answers.items()],
            reasons=reasons,
            executes="not_run",
            fewshot_ids=fewshot_ids,
            batch=batch,
        )
    )


def _execute(records: list[dict], execution: dict, threads: int) -> Counter:
    """Run the Python code of code-task solutions in the sandbox; fill ``executes``."""
    runnable = [r for r in records if r["task"] in CODE_TASKS and r["target_language"] == "python"]
    if runnable:
        from codealign.sandbox import Sandbox, SandboxConfig

        programs = [tasks.code_of(r["solution"]) + "\n" for r in runnable]
        with Sandbox(SandboxConfig.from_section(execution, threads, programs)) as box:
            verdicts = box.run(programs)
        for r, v in zip(runnable, verdicts):
            r["executes"] = v.status
    return Counter(r["executes"] for r in records)


def run_gather(*, shards: list[str], shard_stats: list[str], out: str, stats_path: str) -> Stats:
    """Join the shards (a row for every generated item, accepted or not) and merge their stats."""
    stats = gather(
        stage="codeocean_generate", shards=shards, shard_stats=shard_stats, out=out, schema=schema(TaskItem), rows_are="generated"
    )
    return stats.save(stats_path)


SHARD = cli.Entry(
    run_shard,
    inputs={"raw_path": "raw", "coreset_path": "coreset"},
    outputs={"out": "judged", "rejected": "rejected", "stats_path": "stats"},
    params={"n_shards": "shards", "cache_path": "cache"},
    config={"cfg": "codeocean", "execution": "execution", "generation": "generation", "models": "models", "random_seed": "random_seed"},
    wildcards={"shard": "shard"},
    bundle=("args", ShardArgs),
)
GATHER = cli.Entry(run_gather, inputs={"shards": "shards", "shard_stats": "shard_stats"}, outputs={"out": "judged", "stats_path": "stats"})
ENTRIES = {"shard": SHARD, "gather": GATHER}

if __name__ == "__main__":
    cli.main(ENTRIES, prog="python -m codealign.codeocean.generate")
