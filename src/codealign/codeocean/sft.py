"""CodeOcean items → the SFT set format (``source: codeocean``, ``task``: the task name).

Accepted items only. The instruction the model trains on is the generator's instruction followed
by the information in a fenced block; the response is the solution. Exact repeats of an
instruction and items that contain benchmark text (the seed stage's decontamination) are dropped,
each counted under its reason. ``train.mix`` weighs this set against the SelfCodeAlign one.
"""

from __future__ import annotations

import json
import logging
from collections import Counter

from codealign import cli, datacard, io
from codealign.algorithms.decontamination import build as build_decontaminator
from codealign.codeocean.tasks import FENCE
from codealign.records import SFTExample, content_id, schema, to_row
from codealign.stats import Stats

log = logging.getLogger("codealign.codeocean.sft")


def prompt_of(item: dict) -> str:
    fence = "" if item["task"] == "code generation" else FENCE.get(item["language"], "")
    return f"{item['instruction']}\n\n```{fence}\n{item['information']}\n```"


def example(item: dict, model: str) -> SFTExample:
    instruction = prompt_of(item)
    return SFTExample(
        example_id=content_id(instruction, item["solution"]),
        instruction=instruction,
        response=item["solution"],
        seed_id=item["raw_id"],
        instruction_id=item["item_id"],
        response_id=item["item_id"],
        concepts=[],
        category=f"{item['language']}->{item['target_language']}" if item["task"] == "code translation" else item["language"],
        difficulty="",
        sample=0,
        verdict=item["executes"],
        model=model,
        source="codeocean",
        task=item["task"],
    )


def run(
    *,
    items_path: str,
    items_stats: str,
    out: str,
    jsonl: str,
    card: str,
    stats_path: str,
    decontamination: dict,
    benchmark_paths: dict,
    provenance: dict,
) -> Stats:
    items = io.read_rows(items_path)
    model = io.read_json(items_stats).get("model") or ""
    stats = Stats("codeocean_sft", unit_in="items", n_in=len(items))
    checker = build_decontaminator(decontamination, benchmark_paths)
    seen: set[str] = set()
    examples, hits_by_benchmark = [], Counter()
    for item in items:
        if not item["accepted"]:
            stats.drop("rejected_by_discriminator")
            continue
        ex = example(item, model)
        key = " ".join(ex.instruction.split()).lower()
        if key in seen:
            stats.drop("duplicate_instruction")
            continue
        hits = checker.hits(ex.instruction_id, ex.instruction + "\n" + ex.response)
        if hits:
            stats.drop("contaminated")
            hits_by_benchmark.update({h.benchmark for h in hits})
            continue
        seen.add(key)
        examples.append(ex)
    rows = [to_row(e) for e in examples]
    io.write_rows(out, rows, schema(SFTExample))
    io.write_jsonl(jsonl, rows)
    stats.n_out = len(rows)
    stats.extra.update(
        by_task=dict(sorted(Counter(e.task for e in examples).items())),
        executes=dict(sorted(Counter(e.verdict for e in examples).items())),
        contaminated_by_benchmark=dict(sorted(hits_by_benchmark.items())),
    )
    stats.save(stats_path)
    io.write_text(card, dataset_card(stats, provenance))
    return stats


def dataset_card(stats: Stats, provenance: dict) -> str:
    d = stats.to_dict()
    return datacard.render(
        title="codealign CodeOcean set",
        tags=["wavecoder", "codeocean"],
        unit="items",
        stats=stats,
        provenance=provenance,
        description="Instruction data for four code tasks (summarization, generation, translation, repair) written by an LLM\n"
        "generator from a KCenterGreedy coreset of real code and kept by an LLM discriminator's checklist.",
        counts=[
            f"examples: **{d['out']}** from {d['in']} generated items",
            f"by task: {json.dumps(d['by_task'])}",
            f"sandbox verdicts of Python solutions (`verdict`): {json.dumps(d['executes'])}",
        ],
    )


ENTRY = cli.Entry(
    run,
    inputs={"items_path": "judged", "items_stats": "judged_stats"},
    outputs={"out": "dataset", "jsonl": "jsonl", "card": "card", "stats_path": "stats"},
    config={"decontamination": "seeds.decontamination", "benchmark_paths": "benchmarks", "provenance": datacard.codeocean_provenance},
)

if __name__ == "__main__":
    ENTRY.main()
