"""The docstring judge: does a seed's docstring alone describe its function well enough?

The model sees k examples (default 7) of a function without its docstring, the docstring, and a
Yes/No answer, then the seed; it answers greedily (up to 5 tokens, one line). As in the paper an
answer counts as Yes when it says "yes" more often than "no", so ties count as No. With
``votes`` > 1 every vote uses another few-shot sample and the majority decides, ties again No.

``max_seeds`` caps how many clean seeds are judged (a reproducible random sample, for CPU runs);
the rest are dropped as ``not_sampled`` — the funnel says so. Drop reason: ``judged_no``.
``apply: false`` (not the paper) records every verdict but keeps the seeds judged No: a 270M base
model answers No to nearly everything, which would otherwise empty a CPU run.
"""

from __future__ import annotations

import ast
import logging
import random

from codealign import cli, io
from codealign.generation import llmstage
from codealign.generation.backend import Request, Sampling
from codealign.generation.prompts import choose, judge_prompt, load_judge_bank
from codealign.records import Judgment, Seed, schema, to_row
from codealign.shards import gather
from codealign.stats import Stats

log = logging.getLogger("codealign.seeds.judge")
# The bank shipped with the package that this stage prompts with by default: part of its code version.
PACKAGE_DATA = ("data/judge_fewshot.yaml",)


def select_seeds(seeds: list[dict], max_seeds: int | None, random_seed: int) -> list[dict]:
    """The seeds to judge: all, or a reproducible sample of ``max_seeds`` in their original order."""
    if max_seeds is None or len(seeds) <= max_seeds:
        return seeds
    keep = sorted(random.Random(f"{random_seed}/judge-sample").sample(range(len(seeds)), max_seeds))
    return [seeds[i] for i in keep]


def vote(text: str) -> bool | None:
    """True for Yes, False for No, None when the answer says neither more often (counts as No)."""
    lowered = text.lower()
    yes, no = lowered.count("yes"), lowered.count("no")
    if yes > no:
        return True
    if no > yes:
        return False
    return None


def without_docstring(code: str, name: str) -> str:
    """The seed's code with the function's docstring statement cut out."""
    tree = ast.parse(code)
    lines = code.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            doc = node.body[0]
            del lines[doc.lineno - 1 : doc.end_lineno]
            return "".join(lines)
    return code


def requests_for(seed: dict, index: int, cfg: dict, random_seed: int) -> list[Request]:
    bank = load_judge_bank(cfg["fewshot_bank"])
    code = without_docstring(seed["code"], seed["name"])
    sampling = Sampling(temperature=0.0, max_new_tokens=cfg["max_new_tokens"], stop=("\n",), n=1, seed=random_seed + index)
    out = []
    for v in range(cfg["votes"]):
        examples, _ = choose(bank, cfg["k"], index * cfg["votes"] + v, random_seed, cfg["fewshot"]["selection"], cfg["fewshot"]["groups"])
        out.append(Request(judge_prompt(code, seed["docstring"], examples), sampling))
    return out


def judgment(seed: dict, results, cfg: dict, random_seed: int, index: int) -> dict:
    answers = [samples[0].text for samples in results]
    votes = [vote(a) for a in answers]
    yes = sum(v is True for v in votes)
    examples, _ = choose(
        load_judge_bank(cfg["fewshot_bank"]),
        cfg["k"],
        index * cfg["votes"],
        random_seed,
        cfg["fewshot"]["selection"],
        cfg["fewshot"]["groups"],
    )
    return to_row(
        Judgment(
            seed_id=seed["seed_id"],
            verdict=yes > len(votes) - yes,
            votes_yes=yes,
            votes_no=len(votes) - yes,
            answers=answers,
            fewshot_ids=[e.id for e in examples],
        )
    )


class JudgeStage(llmstage.Stage, name="seeds_judge", record=Judgment, item_id="seed_id", units=("seeds", "judgments")):
    """The judge's answers for one shard of the sampled clean seeds."""

    def select(self, items: list[dict], rule_cfg: dict, random_seed: int) -> list[dict]:
        return select_seeds(items, rule_cfg["max_seeds"], random_seed)

    def build(self, job: llmstage.Job, seed: dict, index: int) -> list[Request]:
        return requests_for(seed, index, job.cfg, job.random_seed)

    def parse(self, job: llmstage.Job, seed: dict, results) -> tuple[list[dict], list]:
        return [judgment(seed, results, job.cfg, job.random_seed, job.index_of[seed["seed_id"]])], []

    def finish(self, outcome: llmstage.ShardOutcome) -> None:
        outcome.stats.extra["undecided_answers"] = sum(vote(a) is None for r in outcome.records for a in r["answers"])


STAGE = JudgeStage()
run_shard = llmstage.shard_function(STAGE)


def run_gather(
    *,
    seeds_path: str,
    shards: list[str],
    shard_stats: list[str],
    cfg: dict,
    random_seed: int,
    judgments_out: str,
    judged_out: str,
    stats_path: str,
) -> Stats:
    all_seeds = io.read_rows(seeds_path)
    stats = Stats("seeds_judge", unit_in="functions", n_in=len(all_seeds))
    if not cfg["enabled"]:  # the judge is switched off: every clean seed goes on, unjudged
        io.write_rows(judgments_out, [], schema(Judgment))
        io.write_rows(judged_out, all_seeds, schema(Seed))
        stats.n_out = len(all_seeds)
        stats.extra.update(judged=0, enabled=False)
        return stats.save(stats_path)
    part = gather(stage="seeds_judge", shards=shards, shard_stats=shard_stats, out=judgments_out, schema=schema(Judgment))
    verdicts = {j["seed_id"]: j["verdict"] for j in io.read_rows(judgments_out)}
    kept = []
    for seed in all_seeds:
        if seed["seed_id"] not in verdicts:
            stats.drop("not_sampled")
        elif verdicts[seed["seed_id"]] or not cfg["apply"]:
            kept.append(seed)
        else:
            stats.drop("judged_no")
    io.write_rows(judged_out, kept, schema(Seed))
    stats.n_out = len(kept)
    stats.extra.update(
        enabled=True,
        judged=len(verdicts),
        judged_yes=sum(verdicts.values()),
        verdicts_applied=cfg["apply"],
        generation=part.extra["generation"],
        backend=part.extra["backend"],
        model=part.extra["model"],
    )
    return stats.save(stats_path)


SHARD = llmstage.shard_entry(STAGE, items="seeds", out="judgments", section="seeds.judge")
GATHER = cli.Entry(
    run_gather,
    inputs={"seeds_path": "seeds", "shards": "shards", "shard_stats": "shard_stats"},
    outputs={"judgments_out": "judgments", "judged_out": "judged", "stats_path": "stats"},
    config={"cfg": "seeds.judge", "random_seed": "random_seed"},
)
ENTRIES = {"shard": SHARD, "gather": GATHER}

if __name__ == "__main__":
    cli.main(ENTRIES, prog="python -m codealign.seeds.judge")
