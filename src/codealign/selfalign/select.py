"""Selection: from executed responses to the SFT set.

Per instruction, one response is chosen at random (seeded by the instruction id) among

``passing``  responses whose own tests passed in the sandbox (the paper; default),
``random``   all responses, whatever their verdict (the paper's ablation),
``failing``  responses whose tests did not pass (the paper's ablation).

Then, in order: exact duplicates of an instruction or of a response are dropped, as are repeats
of the same set of function names, MinHash near duplicates of instruction + response (Jaccard
≥ 0.7), and examples that contain benchmark text (the seed stage's decontamination). Every drop
is counted under its reason. The set is written as Parquet and JSON Lines (``datasets`` loads
either) with a dataset card giving the counts and the config that made it.
"""

from __future__ import annotations

import ast
import json
import logging
import random
from collections import Counter, defaultdict

from codealign import cli, datacard, dedup, io, logs
from codealign.records import SFTExample, content_id, schema, to_row
from codealign.seeds.decontaminate import build as build_decontaminator
from codealign.stats import Stats

log = logging.getLogger("codealign.selfalign.select")

POOLS = {
    "passing": lambda status: status == "pass",
    "failing": lambda status: status != "pass",
    "random": lambda status: True,
}


def function_names(code: str) -> frozenset[str]:
    """Names of the top-level functions and classes a response defines."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return frozenset()
    return frozenset(n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def choose(instructions: list[dict], responses: list[dict], verdicts: dict[str, str], mode: str, base_seed: int, stats: Stats) -> list[tuple[dict, dict]]:
    """One (instruction, response) per instruction that has a response in the mode's pool."""
    by_instruction: dict[str, list[dict]] = defaultdict(list)
    for r in responses:
        by_instruction[r["instruction_id"]].append(r)
    keep = POOLS[mode]
    chosen = []
    for inst in instructions:
        candidates = sorted(by_instruction.get(inst["instruction_id"], []), key=lambda r: r["sample"])
        if not candidates:
            stats.drop("no_usable_response")
            continue
        pool = [r for r in candidates if keep(verdicts[r["response_id"]])]
        if not pool:
            stats.drop(f"no_{mode}_response")
            continue
        rng = random.Random(f"{base_seed}/select/{inst['instruction_id']}")
        chosen.append((inst, rng.choice(pool)))
    return chosen


def run(*, instructions_path: str, responses_paths: list[str], executions_paths: list[str], out: str, jsonl: str, card: str,
        stats_path: str, cfg: dict, decontamination: dict, benchmark_paths: dict, base_seed: int, provenance: dict,
        log_file: str | None = None) -> Stats:
    logs.setup(log_file)
    instructions = io.read_rows(instructions_path)
    responses = [r for p in responses_paths for r in io.read_rows(p)]
    verdicts = {e["response_id"]: e["status"] for p in executions_paths for e in io.read_rows(p)}
    stats = Stats("selection", unit_in="instructions", n_in=len(instructions))
    chosen = choose(instructions, responses, verdicts, cfg["mode"], base_seed, stats)

    seen_instructions, seen_responses, seen_names = set(), set(), set()
    kept = []
    for inst, resp in chosen:
        if cfg["dedup"]["instructions"] and _norm(inst["instruction"]) in seen_instructions:
            stats.drop("duplicate_instruction")
            continue
        if cfg["dedup"]["responses"] and _norm(resp["response"]) in seen_responses:
            stats.drop("duplicate_response")
            continue
        names = function_names(resp["implementation"])
        if cfg["dedup"]["function_names"] and names and names in seen_names:
            stats.drop("duplicate_function_names")
            continue
        seen_instructions.add(_norm(inst["instruction"]))
        seen_responses.add(_norm(resp["response"]))
        if names:
            seen_names.add(names)
        kept.append((inst, resp))

    near = cfg["dedup"]["near"]
    if near["enabled"] and kept:
        dup_of = dedup.near_duplicates([i["instruction"] + "\n\n" + r["response"] for i, r in kept], threshold=near["threshold"], num_perm=near["num_perm"])
        stats.drop("near_duplicate", sum(d is not None for d in dup_of))
        kept = [pair for pair, d in zip(kept, dup_of) if d is None]

    hits_by_benchmark: Counter = Counter()
    if cfg["decontaminate"] and kept:
        checker = build_decontaminator(decontamination, benchmark_paths)
        clean = []
        for inst, resp in kept:
            hits = checker.hits(inst["instruction_id"], inst["instruction"] + "\n" + resp["response"])
            if hits:
                stats.drop("contaminated")
                hits_by_benchmark.update({h.benchmark for h in hits})
            else:
                clean.append((inst, resp))
        kept = clean

    examples = [
        SFTExample(
            example_id=content_id(inst["instruction"], resp["response"]),
            instruction=inst["instruction"],
            response=resp["response"],
            seed_id=inst["seed_id"],
            instruction_id=inst["instruction_id"],
            response_id=resp["response_id"],
            concepts=list(inst.get("concepts") or []),
            category=inst["category"],
            difficulty=inst["difficulty"],
            sample=resp["sample"],
            verdict=verdicts[resp["response_id"]],
            model=resp["model"],
            source="selfalign",
            task="code generation",
        )
        for inst, resp in kept
    ]
    rows = [to_row(e) for e in examples]
    io.write_rows(out, rows, schema(SFTExample))
    io.write_jsonl(jsonl, rows)
    stats.n_out = len(rows)
    all_verdicts = Counter(verdicts.values())
    stats.extra.update(
        mode=cfg["mode"],
        responses=len(responses),
        verdicts=dict(sorted(all_verdicts.items())),
        pass_rate=round(all_verdicts.get("pass", 0) / len(verdicts), 4) if verdicts else None,
        contaminated_by_benchmark=dict(sorted(hits_by_benchmark.items())),
        by_category=dict(sorted(Counter(e.category for e in examples).items())),
        by_difficulty=dict(sorted(Counter(e.difficulty for e in examples).items())),
    )
    stats.save(stats_path)
    io.write_text(card, dataset_card(stats, examples, provenance))
    log.info(stats.summary())
    if not rows:
        log.warning("the SFT set is empty: no instruction kept a response (pass rate %s)", stats.extra["pass_rate"])
    return stats


def dataset_card(stats: Stats, examples: list[SFTExample], provenance: dict) -> str:
    """A Hugging Face dataset card (README.md) for the SFT set."""
    d = stats.to_dict()
    return datacard.render(
        title="codealign SFT set", tags=["self-alignment"], unit="instructions", stats=stats, provenance=provenance,
        description="Instruction–response pairs a base code model wrote for itself (SelfCodeAlign recipe): instructions\n"
                    "from seed functions, responses with tests, kept by executing those tests in a sandbox.",
        counts=[f"examples: **{d['out']}** from {d['in']} instructions and {d['responses']} executed responses",
                f"selection mode: `{d['mode']}`; pass rate of all responses: {d['pass_rate']}",
                f"verdicts: {json.dumps(d['verdicts'])}",
                f"by category: {json.dumps(d['by_category'])}; by difficulty: {json.dumps(d['by_difficulty'])}"],
    )


def main(argv: list[str] | None = None) -> None:
    p = cli.parser("Select the SFT set from executed responses.")
    p.add_argument("--instructions", required=True)
    p.add_argument("--responses", nargs="+", required=True)
    p.add_argument("--executions", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--jsonl", required=True)
    p.add_argument("--card", required=True)
    p.add_argument("--stats", required=True)
    args = p.parse_args(argv)
    cfg = cli.full(args)
    run(instructions_path=args.instructions, responses_paths=args.responses, executions_paths=args.executions, out=args.out,
        jsonl=args.jsonl, card=args.card, stats_path=args.stats, cfg=cfg["selection"], decontamination=cfg["seeds"]["decontamination"],
        benchmark_paths=cfg["benchmarks"], base_seed=cfg["random_seed"], provenance={"experiment": args.experiment}, log_file=args.log)


if __name__ == "__main__":
    main()
