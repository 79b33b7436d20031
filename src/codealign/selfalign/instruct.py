"""Self-OSS-Instruct: seeds → concepts → instructions (S→C→I), or seeds → instructions (S→I).

S→C  k-shot (default 8) completion: a seed snippet → a comma-separated list of the programming
     concepts it uses. Rejected: ``empty``, ``truncated`` (hit max_new_tokens), ``echoed_fewshot``
     (repeats an example's concepts), ``no_concepts``.
C→I  k-shot: concepts + a category (weighted, the paper's 2 : 1 : 1 for function : class :
     program) and a difficulty drawn per item → an instruction. It ends where the next example
     would begin (the paper), or at its first blank line (``stop_at_blank_line``, for small models).
S→I  the paper's ablation (``instruct.mode: seed``): the seed snippet → an instruction directly.
     Rejected: ``empty``, ``truncated``, ``echoed_fewshot``, ``too_short``, ``format_leak``
     (the completion carries prompt scaffolding: a ``##`` header, or — with ``stop_at_blank_line``
     — a code fence).
"""

from __future__ import annotations

import logging
import random
import re

from codealign import cli, io, logs
from codealign.generation import llmstage
from codealign.generation.backend import Completion, Request, Sampling
from codealign.generation.prompts import (
    choose,
    concepts_prompt,
    instruction_prompt,
    load_bank,
    seed_instruction_prompt,
)
from codealign.records import Concepts, Instruction, content_id, schema, to_row
from codealign.shards import gather

log = logging.getLogger("codealign.selfalign.instruct")
# The bank shipped with the package that this stage prompts with by default: part of its code version.
PACKAGE_DATA = ("data/fewshot.yaml",)

_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def parse_concepts(text: str) -> list[str]:
    """Comma-separated concepts of the first line, stripped and deduplicated (order kept)."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    out = []
    for part in line.split(","):
        concept = part.strip().strip(".;").strip()
        if concept and concept.lower() not in (c.lower() for c in out):
            out.append(concept)
    return out


def concepts_reason(c: Completion, examples) -> str | None:
    if not c.text.strip():
        return "empty"
    if c.finish_reason == "length":
        return "truncated"
    if _norm(c.text) in {_norm(e.concepts) for e in examples}:
        return "echoed_fewshot"
    if not parse_concepts(c.text):
        return "no_concepts"
    return None


def instruction_reason(c: Completion, examples, allow_code: bool = True) -> str | None:
    text = c.text.strip()
    if not text:
        return "empty"
    if c.finish_reason == "length":
        return "truncated"
    if _norm(text) in {_norm(e.instruction) for e in examples}:
        return "echoed_fewshot"
    if (not allow_code and "```" in text) or re.search(r"^##", text, re.M):
        return "format_leak"
    if len(text.split()) < 6:
        return "too_short"
    return None


def _sampling(cfg: dict, stop: tuple[str, ...], seed: int) -> Sampling:
    return Sampling(temperature=cfg["temperature"], top_p=cfg["top_p"], max_new_tokens=cfg["max_new_tokens"], stop=stop, n=1, seed=seed)


def category_and_difficulty(cfg: dict, index: int, random_seed: int) -> tuple[str, str]:
    """The category (drawn by weight) and difficulty (uniform) of item ``index``."""
    rng = random.Random(f"{random_seed}/task/{index}")
    names = [name for name, weight in cfg["categories"].items() if weight > 0]
    if not names:
        raise ValueError("instruct.instructions.categories: every weight is 0")
    category = rng.choices(names, weights=[cfg["categories"][n] for n in names])[0]
    return category, rng.choice(cfg["difficulties"])


def instruction_stops(cfg: dict) -> tuple[str, ...]:
    """Where an instruction ends: the next ``###`` block, and its first blank line if so configured."""
    return ("\n###", "\n\n") if cfg["stop_at_blank_line"] else ("\n###",)


# --- S→C --------------------------------------------------------------------------------------


def run_concepts_shard(
    *,
    seeds_path: str,
    shard: int,
    n_shards: int,
    cfg: dict,
    generation: dict,
    models: dict,
    random_seed: int,
    out: str,
    rejected: str,
    stats_path: str,
    cache_path: str,
    threads: int = 1,
    log_file: str | None = None,
) -> None:
    logs.setup(log_file)
    stage_cfg = cfg["concepts"]
    bank = load_bank(cfg["fewshot_bank"])
    spec = llmstage.backend_spec(cfg, generation, models, threads)
    fs = stage_cfg["fewshot"]
    items = io.read_rows(seeds_path)
    index_of = {s["seed_id"]: i for i, s in enumerate(items)}

    def examples(index):
        return choose(bank, stage_cfg["k"], index, random_seed, fs["selection"], fs["groups"])[0]

    def build(seed, index):
        return [Request(concepts_prompt(seed["code"], examples(index)), _sampling(stage_cfg, ("\n",), random_seed + index))]

    def parse(seed, results):
        shots = examples(index_of[seed["seed_id"]])
        c = results[0][0]
        reason = concepts_reason(c, shots)
        if reason:
            return [], [(0, reason, c.text)]
        record = Concepts(seed["seed_id"], parse_concepts(c.text), c.text, [e.id for e in shots], spec.model_fingerprint)
        return [to_row(record)], []

    outcome = llmstage.run_shard(
        stage="instruct_concepts",
        items=items,
        item_id=lambda s: s["seed_id"],
        shard=shard,
        n_shards=n_shards,
        build=build,
        parse=parse,
        spec=spec,
        cache_path=cache_path,
        unit_in="seeds",
        unit_out="seeds",
        group=(lambda i: i % fs["groups"]) if fs["selection"] == "grouped" else None,
    )
    llmstage.write_shard(outcome, schema(Concepts), out=out, rejected=rejected, stats_path=stats_path)


# --- C→I and S→I -------------------------------------------------------------------------------


def run_instructions_shard(
    *,
    items_path: str,
    shard: int,
    n_shards: int,
    cfg: dict,
    generation: dict,
    models: dict,
    random_seed: int,
    out: str,
    rejected: str,
    stats_path: str,
    cache_path: str,
    threads: int = 1,
    log_file: str | None = None,
) -> None:
    """``items_path`` holds concepts (mode 'concepts') or seeds (mode 'seed')."""
    logs.setup(log_file)
    stage_cfg = cfg["instructions"]
    mode = cfg["mode"]
    bank = load_bank(cfg["fewshot_bank"])
    spec = llmstage.backend_spec(cfg, generation, models, threads)
    fs = stage_cfg["fewshot"]
    items = io.read_rows(items_path)
    index_of = {it["seed_id"]: i for i, it in enumerate(items)}

    def examples(index):
        return choose(bank, stage_cfg["k"], index, random_seed, fs["selection"], fs["groups"])[0]

    def build(item, index):
        category, difficulty = category_and_difficulty(stage_cfg, index, random_seed)
        if mode == "concepts":
            prompt = instruction_prompt(", ".join(item["concepts"]), category, difficulty, examples(index))
        else:
            prompt = seed_instruction_prompt(item["code"], category, difficulty, examples(index))
        return [Request(prompt, _sampling(stage_cfg, instruction_stops(stage_cfg), random_seed + index))]

    def parse(item, results):
        index = index_of[item["seed_id"]]
        shots = examples(index)
        c = results[0][0]
        reason = instruction_reason(c, shots, allow_code=not stage_cfg["stop_at_blank_line"])
        if reason:
            return [], [(0, reason, c.text)]
        category, difficulty = category_and_difficulty(stage_cfg, index, random_seed)
        text = c.text.strip()
        record = Instruction(
            instruction_id=content_id(item["seed_id"], text),
            seed_id=item["seed_id"],
            instruction=text,
            concepts=item.get("concepts", []) if mode == "concepts" else [],
            category=category,
            difficulty=difficulty,
            mode=mode,
            fewshot_ids=[e.id for e in shots],
            model=spec.model_fingerprint,
        )
        return [to_row(record)], []

    outcome = llmstage.run_shard(
        stage="instruct_instructions",
        items=items,
        item_id=lambda it: it["seed_id"],
        shard=shard,
        n_shards=n_shards,
        build=build,
        parse=parse,
        spec=spec,
        cache_path=cache_path,
        unit_in="concepts" if mode == "concepts" else "seeds",
        unit_out="concepts" if mode == "concepts" else "seeds",
        group=(lambda i: i % fs["groups"]) if fs["selection"] == "grouped" else None,
    )
    llmstage.write_shard(outcome, schema(Instruction), out=out, rejected=rejected, stats_path=stats_path)


def run_gather(
    *, stage: str, record: str, shards: list[str], shard_stats: list[str], out: str, stats_path: str, log_file: str | None = None
) -> None:
    logs.setup(log_file)
    cls = {"concepts": Concepts, "instructions": Instruction}[record]
    stats = gather(stage=stage, shards=shards, shard_stats=shard_stats, out=out, schema=schema(cls))
    stats.save(stats_path)
    log.info(stats.summary())


def gather_concepts(*, shards: list[str], shard_stats: list[str], out: str, stats_path: str, log_file: str | None = None) -> None:
    """Join the S→C shards and merge their stats."""
    run_gather(
        stage="instruct_concepts",
        record="concepts",
        shards=shards,
        shard_stats=shard_stats,
        out=out,
        stats_path=stats_path,
        log_file=log_file,
    )


def gather_instructions(*, shards: list[str], shard_stats: list[str], out: str, stats_path: str, log_file: str | None = None) -> None:
    """Join the C→I (or S→I) shards and merge their stats."""
    run_gather(
        stage="instruct_instructions",
        record="instructions",
        shards=shards,
        shard_stats=shard_stats,
        out=out,
        stats_path=stats_path,
        log_file=log_file,
    )


CONCEPTS = cli.Entry(
    run_concepts_shard,
    inputs={"seeds_path": "seeds"},
    outputs={"out": "concepts", "rejected": "rejected", "stats_path": "stats"},
    params={"n_shards": "shards", "cache_path": "cache"},
    config={"cfg": "instruct", "generation": "generation", "models": "models", "random_seed": "random_seed"},
    wildcards={"shard": "shard"},
)
INSTRUCTIONS = cli.Entry(
    run_instructions_shard,
    inputs={"items_path": "upstream"},
    outputs={"out": "instructions", "rejected": "rejected", "stats_path": "stats"},
    params={"n_shards": "shards", "cache_path": "cache"},
    config={"cfg": "instruct", "generation": "generation", "models": "models", "random_seed": "random_seed"},
    wildcards={"shard": "shard"},
)
GATHER_CONCEPTS = cli.Entry(
    gather_concepts, inputs={"shards": "shards", "shard_stats": "shard_stats"}, outputs={"out": "concepts", "stats_path": "stats"}
)
GATHER_INSTRUCTIONS = cli.Entry(
    gather_instructions,
    inputs={"shards": "shards", "shard_stats": "shard_stats"},
    outputs={"out": "instructions", "stats_path": "stats"},
)
ENTRIES = {
    "concepts": CONCEPTS,
    "instructions": INSTRUCTIONS,
    "gather-concepts": GATHER_CONCEPTS,
    "gather-instructions": GATHER_INSTRUCTIONS,
}

if __name__ == "__main__":
    cli.main(ENTRIES, prog="python -m codealign.selfalign.instruct")
