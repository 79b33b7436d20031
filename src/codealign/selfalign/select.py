"""Selection: from executed responses to the SFT set, as the paper's ``sanitize_data`` +
``minhash_dedup`` scripts do it.

The candidates are the responses in the mode's pool:

``passing``  responses whose own tests passed in the sandbox (the paper; default),
``random``   all responses, whatever their verdict (the paper's ablation),
``failing``  responses whose tests did not pass (the paper's ablation).

They are shuffled (seeded) and visited once. A candidate is dropped, each under its own reason,
when its response looks unfinished (``incomplete_response``: todo, fixme, "your code here",
NotImplemented …), its tests never run an assert (``tests_never_run``), its instruction is over
200 words (``instruction_too_long``), its instruction already has a kept response
(``instruction_already_kept``), or it repeats a kept instruction, response, set of function
names or set of class names (``duplicate_*``). Choosing *after* these checks means an
instruction whose first candidate is a repeat still keeps another passing response.

Then three MinHash passes (Jaccard ≥ 0.7, 250 permutations), over the instruction, the response
and the code (its functions and classes without docstrings), each drop ``near_duplicate_<field>``;
last, examples that contain benchmark text are ``contaminated``. The SFT response is the
reasoning, implementation and explanation, without the tests (``include_tests`` keeps them, as
StarCoder2-Instruct v0.1 did). The set is written as Parquet and JSON Lines (``datasets`` loads
either) with a dataset card giving the counts and the config that made it.
"""

from __future__ import annotations

import ast
import json
import logging
import random
from collections import Counter
from dataclasses import dataclass

from codealign import cli, datacard, dedup, io, logs
from codealign.generation.prompts import without_tests
from codealign.records import SFTExample, content_id, schema, to_row
from codealign.seeds.decontaminate import build as build_decontaminator
from codealign.stats import Stats

log = logging.getLogger("codealign.selfalign.select")

POOLS = {
    "passing": lambda status: status == "pass",
    "failing": lambda status: status != "pass",
    "random": lambda status: True,
}


def _compress(name: str) -> str:
    return name.replace("_", "").lower()


def function_names(code: str) -> tuple[frozenset[str], frozenset[str]]:
    """The names of every function and of every class the code defines (nested ones included),
    lower-cased with ``_`` removed, as two sets (the paper's diversity key)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return frozenset(), frozenset()
    functions = {_compress(n.name) for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    classes = {_compress(n.name) for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    return frozenset(functions), frozenset(classes)


def code_representation(code: str) -> str | None:
    """The top-level functions and classes of ``code`` without docstrings, unparsed; None when it
    does not parse. What the paper's third MinHash pass compares."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return None
    tree.body = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                node.body = node.body[1:] or [ast.Pass()]
    try:
        return ast.unparse(tree)
    except RecursionError:
        return None


def tests_run_an_assert(tests: str) -> bool:
    """The paper's check: the tests mention ``assert`` and have a top-level line that is not a
    def, class or import (else nothing calls the asserts)."""
    if "assert" not in tests:
        return False
    return not all(line.startswith(("def", "class", "import", "from")) for line in tests.splitlines() if line and line[0].isalpha())


def _key(text: str) -> str:
    return "".join(text.split())


@dataclass
class Candidate:
    instruction: dict
    response: dict
    text: str  # the SFT response
    code: str | None = None


def candidates(instructions: list[dict], responses: list[dict], verdicts: dict[str, str], mode: str, base_seed: int,
               stats: Stats, include_tests: bool) -> list[Candidate]:
    """The responses in the mode's pool, in a seeded random order (the paper shuffles before it dedups)."""
    order = {inst["instruction_id"]: i for i, inst in enumerate(instructions)}
    by_id = {inst["instruction_id"]: inst for inst in instructions}
    keep = POOLS[mode]
    pool = []
    for r in sorted(responses, key=lambda r: (order.get(r["instruction_id"], len(order)), r["sample"], r["response_id"])):
        if r["instruction_id"] not in by_id:
            stats.drop("unknown_instruction")
        elif not keep(verdicts[r["response_id"]]):
            stats.drop(f"not_{mode}")
        else:
            text = r["response"] if include_tests else without_tests(r["response"])
            pool.append(Candidate(by_id[r["instruction_id"]], r, text))
    random.Random(f"{base_seed}/select").shuffle(pool)
    return pool


def _rejected(c: Candidate, filters: dict) -> str | None:
    lowered = c.text.lower()
    if any(marker.lower() in lowered for marker in filters["incomplete_markers"]):
        return "incomplete_response"
    if filters["tests_must_assert"] and not tests_run_an_assert(c.response["tests"]):
        return "tests_never_run"
    limit = filters["max_instruction_words"]
    if limit and len(c.instruction["instruction"].split()) > limit:
        return "instruction_too_long"
    return None


def exact_pass(pool: list[Candidate], cfg: dict, stats: Stats) -> list[Candidate]:
    """One visit in pool order: the paper's filters, one response per instruction, exact dedup."""
    dedup_cfg = cfg["dedup"]
    kept_instructions: set[str] = set()
    seen_instructions: set[str] = set()
    seen_responses: set[str] = set()
    seen_names: set[frozenset[str]] = set()
    kept = []
    for c in pool:
        reason = _rejected(c, cfg["filters"])
        key_i, key_r = _key(c.instruction["instruction"]), _key(c.text)
        functions = classes = frozenset()
        if reason is None:
            functions, classes = function_names(c.response["implementation"])
            if c.instruction["instruction_id"] in kept_instructions:
                reason = "instruction_already_kept"
            elif dedup_cfg["instructions"] and key_i in seen_instructions:
                reason = "duplicate_instruction"
            elif dedup_cfg["responses"] and key_r in seen_responses:
                reason = "duplicate_response"
            elif dedup_cfg["function_names"] and ((functions and functions in seen_names) or (classes and classes in seen_names)):
                reason = "duplicate_function_names"
            elif (code := code_representation(c.response["implementation"])) is None:
                reason = "no_code_representation"
            else:
                c.code = code
        if reason:
            stats.drop(reason)
            continue
        kept_instructions.add(c.instruction["instruction_id"])
        seen_instructions.add(key_i)
        seen_responses.add(key_r)
        seen_names.update(names for names in (functions, classes) if names)
        kept.append(c)
    return kept


def near_passes(kept: list[Candidate], near: dict, stats: Stats) -> list[Candidate]:
    """MinHash near-dedup over each configured field in turn, the first copy kept."""
    if not near["enabled"]:
        return kept
    fields = {"instruction": lambda c: c.instruction["instruction"], "response": lambda c: c.text, "code": lambda c: c.code or ""}
    for name in near["fields"]:
        if not kept:
            break
        texts = [fields[name](c) for c in kept]
        dup_of = dedup.near_duplicates(texts, threshold=near["threshold"], num_perm=near["num_perm"], skip=[not t.strip() for t in texts])
        stats.drop(f"near_duplicate_{name}", sum(d is not None for d in dup_of))
        kept = [c for c, d in zip(kept, dup_of) if d is None]
    return kept


def run(*, instructions_path: str, responses_paths: list[str], executions_paths: list[str], out: str, jsonl: str, card: str,
        stats_path: str, cfg: dict, decontamination: dict, benchmark_paths: dict, base_seed: int, provenance: dict,
        log_file: str | None = None) -> Stats:
    logs.setup(log_file)
    instructions = io.read_rows(instructions_path)
    responses = [r for p in responses_paths for r in io.read_rows(p)]
    verdicts = {e["response_id"]: e["status"] for p in executions_paths for e in io.read_rows(p)}
    stats = Stats("selection", unit_in="responses", n_in=len(responses))
    pool = candidates(instructions, responses, verdicts, cfg["mode"], base_seed, stats, cfg["include_tests"])
    kept = near_passes(exact_pass(pool, cfg, stats), cfg["dedup"]["near"], stats)

    hits_by_benchmark: Counter = Counter()
    if cfg["decontaminate"] and kept:
        checker = build_decontaminator(decontamination, benchmark_paths)
        clean = []
        for c in kept:
            hits = checker.hits(c.instruction["instruction_id"], c.instruction["instruction"] + "\n" + c.text)
            if hits:
                stats.drop("contaminated")
                hits_by_benchmark.update({h.benchmark for h in hits})
            else:
                clean.append(c)
        kept = clean

    order = {inst["instruction_id"]: i for i, inst in enumerate(instructions)}
    kept.sort(key=lambda c: order[c.instruction["instruction_id"]])
    examples = [
        SFTExample(
            example_id=content_id(c.instruction["instruction"], c.text),
            instruction=c.instruction["instruction"],
            response=c.text,
            seed_id=c.instruction["seed_id"],
            instruction_id=c.instruction["instruction_id"],
            response_id=c.response["response_id"],
            concepts=list(c.instruction.get("concepts") or []),
            category=c.instruction["category"],
            difficulty=c.instruction["difficulty"],
            sample=c.response["sample"],
            verdict=verdicts[c.response["response_id"]],
            model=c.response["model"],
            source="selfalign",
            task="code generation",
        )
        for c in kept
    ]
    rows = [to_row(e) for e in examples]
    io.write_rows(out, rows, schema(SFTExample))
    io.write_jsonl(jsonl, rows)
    stats.n_out = len(rows)
    all_verdicts = Counter(verdicts.values())
    with_candidate = {c.instruction["instruction_id"] for c in pool}
    stats.extra.update(
        mode=cfg["mode"],
        include_tests=cfg["include_tests"],
        instructions=len(instructions),
        instructions_with_candidate=len(with_candidate),
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
        title="codealign SFT set", tags=["self-alignment"], unit="responses", stats=stats, provenance=provenance,
        description="Instruction–response pairs a base code model wrote for itself (SelfCodeAlign recipe): instructions\n"
                    "from seed functions, responses with tests, kept by executing those tests in a sandbox.",
        counts=[f"examples: **{d['out']}** from {d['instructions']} instructions and {d['responses']} executed responses",
                f"selection mode: `{d['mode']}`; responses {'with' if d['include_tests'] else 'without'} their tests; "
                f"pass rate of all responses: {d['pass_rate']}",
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
