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

from codealign import cli
from codealign.generation import llmstage
from codealign.generation.backend import Completion, Request, Sampling
from codealign.generation.prompts import (
    concepts_prompt,
    instruction_prompt,
    seed_instruction_prompt,
)
from codealign.records import Concepts, Instruction, content_id, to_row

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


class ConceptsStage(llmstage.Stage, name="instruct_concepts", record=Concepts, item_id="seed_id", units=("seeds", "seeds"), bank=True):
    """S→C for one shard of the judged seeds."""

    def section(self, rule_cfg: dict) -> dict:
        return rule_cfg["concepts"]

    def build(self, job: llmstage.Job, seed: dict, index: int) -> list[Request]:
        prompt = concepts_prompt(seed["code"], job.examples(index))
        return [Request(prompt, _sampling(job.cfg, ("\n",), job.random_seed + index))]

    def parse(self, job: llmstage.Job, seed: dict, results) -> tuple[list[dict], list]:
        shots = job.examples(job.index_of[seed["seed_id"]])
        c = results[0][0]
        reason = concepts_reason(c, shots)
        if reason:
            return [], [(0, reason, c.text)]
        record = Concepts(seed["seed_id"], parse_concepts(c.text), c.text, [e.id for e in shots], job.spec.model_fingerprint)
        return [to_row(record)], []


# --- C→I and S→I -------------------------------------------------------------------------------


class InstructionsStage(llmstage.Stage, name="instruct_instructions", record=Instruction, item_id="seed_id", bank=True):
    """C→I (or S→I) for one shard: the items are concepts (mode 'concepts') or seeds (mode 'seed')."""

    def section(self, rule_cfg: dict) -> dict:
        return rule_cfg["instructions"]

    def stats_units(self, rule_cfg: dict) -> tuple[str, str]:
        return ("concepts", "concepts") if rule_cfg["mode"] == "concepts" else ("seeds", "seeds")

    def build(self, job: llmstage.Job, item: dict, index: int) -> list[Request]:
        category, difficulty = category_and_difficulty(job.cfg, index, job.random_seed)
        if job.rule_cfg["mode"] == "concepts":
            prompt = instruction_prompt(", ".join(item["concepts"]), category, difficulty, job.examples(index))
        else:
            prompt = seed_instruction_prompt(item["code"], category, difficulty, job.examples(index))
        return [Request(prompt, _sampling(job.cfg, instruction_stops(job.cfg), job.random_seed + index))]

    def parse(self, job: llmstage.Job, item: dict, results) -> tuple[list[dict], list]:
        index = job.index_of[item["seed_id"]]
        shots = job.examples(index)
        c = results[0][0]
        reason = instruction_reason(c, shots, allow_code=not job.cfg["stop_at_blank_line"])
        if reason:
            return [], [(0, reason, c.text)]
        category, difficulty = category_and_difficulty(job.cfg, index, job.random_seed)
        text = c.text.strip()
        mode = job.rule_cfg["mode"]
        record = Instruction(
            instruction_id=content_id(item["seed_id"], text),
            seed_id=item["seed_id"],
            instruction=text,
            concepts=item.get("concepts", []) if mode == "concepts" else [],
            category=category,
            difficulty=difficulty,
            mode=mode,
            fewshot_ids=[e.id for e in shots],
            model=job.spec.model_fingerprint,
        )
        return [to_row(record)], []


CONCEPTS_STAGE = ConceptsStage()
INSTRUCTIONS_STAGE = InstructionsStage()
run_concepts_shard = llmstage.shard_function(CONCEPTS_STAGE)
run_instructions_shard = llmstage.shard_function(INSTRUCTIONS_STAGE)
CONCEPTS = llmstage.shard_entry(CONCEPTS_STAGE, items="seeds", out="concepts", section="instruct")
INSTRUCTIONS = llmstage.shard_entry(INSTRUCTIONS_STAGE, items="upstream", out="instructions", section="instruct")
GATHER_CONCEPTS = llmstage.gather_entry(CONCEPTS_STAGE, out="concepts")
GATHER_INSTRUCTIONS = llmstage.gather_entry(INSTRUCTIONS_STAGE, out="instructions")
ENTRIES = {
    "concepts": CONCEPTS,
    "instructions": INSTRUCTIONS,
    "gather-concepts": GATHER_CONCEPTS,
    "gather-instructions": GATHER_INSTRUCTIONS,
}

if __name__ == "__main__":
    cli.main(ENTRIES, prog="python -m codealign.selfalign.instruct")
