"""Selection: from executed responses to the SFT set, as the paper's ``sanitize_data`` +
``minhash_dedup`` scripts do it.

The candidates are the responses in the mode's pool:

``passing``  responses whose own tests passed in the sandbox (the paper; default),
``random``   all responses, whatever their verdict (the paper's ablation),
``failing``  responses whose tests did not pass (the paper's ablation),
``partial``  not the paper: responses that pass, or whose implementation passes at least one of
             its own asserts run alone (``execution.per_assert``; verdict ``partial k/n``), for a
             model too small to pass all of its own tests; the SFT response leaves its tests out.

They are shuffled (seeded: each response's place is a hash of the seed and its id, so the order
does not depend on how responses are sharded) and visited once. A candidate is dropped, each under its own reason,
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

Selection never holds all responses: one job per response shard (:func:`run_candidates`) reads
only the columns it needs, applies the per-response filters and writes each candidate's hashed
exact keys and MinHash signatures; one gather (:func:`run_gather`) visits the candidates of every
shard in the shuffled order with those keys alone, loads signatures only for the exact pass's
survivors, and reads text only for the examples it keeps.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
from collections import Counter

import pyarrow as pa

from codealign import cli, datacard, io
from codealign.algorithms import dedup
from codealign.algorithms.decontamination import build as build_decontaminator
from codealign.generation.prompts import without_tests
from codealign.records import SFTExample, content_id, schema, to_row
from codealign.shards import merge_stats
from codealign.stats import Stats

log = logging.getLogger("codealign.selfalign.selection")

POOLS = {  # mode → does an execution row (status, asserts_passed) join the candidates
    "passing": lambda e: e["status"] == "pass",
    "partial": lambda e: e["status"] == "pass" or bool(e.get("asserts_passed")),
    "failing": lambda e: e["status"] != "pass",
    "random": lambda e: True,
}


def verdict(execution: dict, mode: str) -> str:
    """A candidate's verdict: the sandbox's status, or ``partial k/n`` for a response that partial
    mode keeps although its whole program did not pass."""
    if mode == "partial" and execution["status"] != "pass":
        return f"partial {execution['asserts_passed']}/{execution['asserts_total']}"
    return execution["status"]


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


def _key(text: str) -> bytes:
    """The exact-dedup key: the text without whitespace, hashed (16 bytes)."""
    return hashlib.sha256("".join(text.split()).encode("utf-8", "surrogatepass")).digest()[:16]


def _names_key(names: frozenset[str]) -> bytes | None:
    return hashlib.sha256("\0".join(sorted(names)).encode()).digest()[:16] if names else None


def shuffle_key(random_seed: int, response_id: str) -> str:
    """A response's place in the seeded shuffle (the same whatever the sharding)."""
    return hashlib.sha256(f"{random_seed}/select/{response_id}".encode()).hexdigest()[:16]


CANDIDATE_SCHEMA = pa.schema(
    [
        ("response_id", pa.string()),
        ("instruction_id", pa.string()),
        ("order", pa.int64()),
        ("sample", pa.int64()),
        ("shuffle", pa.string()),
        ("verdict", pa.string()),
        ("reason", pa.string()),
        ("no_code", pa.bool_()),
        ("key_instruction", pa.binary()),
        ("key_response", pa.binary()),
        ("functions", pa.binary()),
        ("classes", pa.binary()),
        ("sig_instruction", pa.binary()),
        ("sig_response", pa.binary()),
        ("sig_code", pa.binary()),
        ("text", pa.string()),
        ("model", pa.string()),
    ]
)
# What the gather's exact pass reads of every candidate: no text, no signature.
EXACT_COLUMNS = [
    "response_id",
    "instruction_id",
    "order",
    "sample",
    "shuffle",
    "reason",
    "no_code",
    "key_instruction",
    "key_response",
    "functions",
    "classes",
]
SIGNATURE_FIELDS = ("instruction", "response", "code")


def _rejected(instruction: str, text: str, tests: str, filters: dict) -> str | None:
    lowered = text.lower()
    if any(marker.lower() in lowered for marker in filters["incomplete_markers"]):
        return "incomplete_response"
    if filters["tests_must_assert"] and not tests_run_an_assert(tests):
        return "tests_never_run"
    limit = filters["max_instruction_words"]
    if limit and len(instruction.split()) > limit:
        return "instruction_too_long"
    return None


def candidate(
    instruction: dict, response: dict, text: str, cfg: dict, *, order: int = 0, random_seed: int = 0, verdict: str = "pass"
) -> dict:
    """A candidate's row: its per-response filter reason, the hashed keys of the exact pass, and
    the MinHash signatures of the near passes (computed here, where the text is)."""
    near = cfg["dedup"]["near"]
    reason = _rejected(instruction["instruction"], text, response["tests"], cfg["filters"])
    functions, classes = function_names(response["implementation"]) if reason is None else (frozenset(), frozenset())
    code = code_representation(response["implementation"]) if reason is None else None
    texts = {"instruction": instruction["instruction"], "response": text, "code": code or ""}
    sigs = {
        f: (dedup.signature(texts[f], num_perm=near["num_perm"]) if reason is None and near["enabled"] and texts[f].strip() else None)
        for f in SIGNATURE_FIELDS
    }
    return {
        "response_id": response["response_id"],
        "instruction_id": instruction["instruction_id"],
        "order": order,
        "sample": response["sample"],
        "shuffle": shuffle_key(random_seed, response["response_id"]),
        "verdict": verdict,
        "reason": reason,
        "no_code": reason is None and code is None,
        "key_instruction": _key(instruction["instruction"]),
        "key_response": _key(text),
        "functions": _names_key(functions),
        "classes": _names_key(classes),
        **{f"sig_{f}": sigs[f] for f in SIGNATURE_FIELDS},
        "text": text,
        "model": response.get("model", ""),
    }


def candidates_of_shard(
    instructions: dict[str, tuple[int, str]], responses: list[dict], executions: dict[str, dict], cfg: dict, random_seed: int, stats: Stats
) -> list[dict]:
    """The shard's responses in the mode's pool, as candidate rows; ``instructions``: id → (order,
    text); ``executions``: response id → its execution row."""
    keep = POOLS[cfg["mode"]]
    rows = []
    for r in responses:
        if r["instruction_id"] not in instructions:
            stats.drop("unknown_instruction")
            continue
        if not keep(executions[r["response_id"]]):
            stats.drop(f"not_{cfg['mode']}")
            continue
        order, text = instructions[r["instruction_id"]]
        sft_text = r["response"] if cfg["include_tests"] else without_tests(r["response"])
        rows.append(
            candidate(
                {"instruction_id": r["instruction_id"], "instruction": text},
                r,
                sft_text,
                cfg,
                order=order,
                random_seed=random_seed,
                verdict=verdict(executions[r["response_id"]], cfg["mode"]),
            )
        )
    return rows


def run_candidates(
    *,
    instructions_path: str,
    responses_path: str,
    executions_path: str,
    out: str,
    stats_path: str,
    cfg: dict,
    random_seed: int,
) -> Stats:
    """One response shard's candidates (only the columns selection needs are read)."""
    instructions = {
        r["instruction_id"]: (i, r["instruction"])
        for i, r in enumerate(io.read_rows(instructions_path, columns=["instruction_id", "instruction"]))
    }
    responses = io.read_rows(
        responses_path, columns=["response_id", "instruction_id", "sample", "response", "implementation", "tests", "model"]
    )
    columns = ["response_id", "status"] + (["asserts_total", "asserts_passed"] if cfg["mode"] == "partial" else [])
    executions = {e["response_id"]: e for e in io.read_rows(executions_path, columns=columns)}
    if cfg["mode"] == "partial" and any(e["asserts_total"] is None for e in executions.values()):
        raise ValueError(f"selection.mode: partial needs execution.per_assert: true; {executions_path} has no per-assert counts")
    stats = Stats("selection_candidates", unit_in="responses", n_in=len(responses))
    rows = candidates_of_shard(instructions, responses, executions, cfg, random_seed, stats)
    io.write_rows(out, rows, CANDIDATE_SCHEMA)
    stats.n_out = len(rows)
    stats.extra["verdicts"] = dict(sorted(Counter(e["status"] for e in executions.values()).items()))
    return stats.save(stats_path)


def exact_pass(pool: list[dict], cfg: dict, stats: Stats) -> list[dict]:
    """One visit in pool order: the paper's filters, one response per instruction, exact dedup."""
    dedup_cfg = cfg["dedup"]
    kept_instructions: set[str] = set()
    seen_instructions: set[bytes] = set()
    seen_responses: set[bytes] = set()
    seen_names: set[bytes] = set()
    kept = []
    for c in pool:
        reason = c["reason"]
        if reason is None:
            if c["instruction_id"] in kept_instructions:
                reason = "instruction_already_kept"
            elif dedup_cfg["instructions"] and c["key_instruction"] in seen_instructions:
                reason = "duplicate_instruction"
            elif dedup_cfg["responses"] and c["key_response"] in seen_responses:
                reason = "duplicate_response"
            elif dedup_cfg["function_names"] and any(k is not None and k in seen_names for k in (c["functions"], c["classes"])):
                reason = "duplicate_function_names"
            elif c["no_code"]:
                reason = "no_code_representation"
        if reason:
            stats.drop(reason)
            continue
        kept_instructions.add(c["instruction_id"])
        seen_instructions.add(c["key_instruction"])
        seen_responses.add(c["key_response"])
        seen_names.update(k for k in (c["functions"], c["classes"]) if k is not None)
        kept.append(c)
    return kept


def near_passes(kept: list[dict], near: dict, stats: Stats, signatures: dict[str, dict[str, bytes | None]]) -> list[dict]:
    """MinHash near-dedup over each configured field in turn, the first copy kept; ``signatures``:
    response id → field → signature."""
    if not near["enabled"]:
        return kept
    for name in near["fields"]:
        index = dedup.NearDuplicates(threshold=near["threshold"], num_perm=near["num_perm"])
        survivors = []
        for position, c in enumerate(kept):
            sig = signatures[c["response_id"]][name]
            if sig is not None and index.check(position, sig) is not None:
                stats.drop(f"near_duplicate_{name}")
                continue
            survivors.append(c)
        kept = survivors
    return kept


def _read_where(paths: list[str], columns: list[str], response_ids: set[str]) -> dict[str, dict]:
    """response id → the requested columns, for the given ids only, one shard at a time."""
    found: dict[str, dict] = {}
    for path in paths:
        for rows in io.iter_batches(path, batch_size=8192, columns=["response_id", *columns]):
            for r in rows:
                if r["response_id"] in response_ids:
                    found[r["response_id"]] = r
    return found


def _candidates(candidates: list[str], candidate_stats: list[str]) -> tuple[Stats, Stats, list[dict]]:
    """The selection's stats (the shards' drops carried over), the shards' merged stats, and every
    candidate's exact keys in the seeded shuffle order — checked against the shards' counts."""
    shards = merge_stats("selection_candidates", candidate_stats)
    stats = Stats("selection", unit_in="responses", n_in=shards.n_in)
    for reason, n in shards.dropped.items():
        stats.drop(reason, n)
    pool = [r for path in candidates for r in io.read_rows(path, columns=EXACT_COLUMNS)]
    if len(pool) != shards.n_out:
        raise io.CorruptShardError(candidates[0], f"{len(pool)} candidates but the shard stats count {shards.n_out}")
    pool.sort(key=lambda c: (c["shuffle"], c["response_id"]))
    return stats, shards, pool


def _decontaminate(kept: list[dict], instructions: dict, texts: dict, checker, stats: Stats) -> tuple[list[dict], Counter]:
    """Drop the examples whose instruction or response contains benchmark text; hits by benchmark."""
    hits_by_benchmark: Counter = Counter()
    clean = []
    for c in kept:
        inst = instructions[c["instruction_id"]]
        hits = checker.hits(c["instruction_id"], inst["instruction"] + "\n" + texts[c["response_id"]]["text"])
        if hits:
            stats.drop("contaminated")
            hits_by_benchmark.update({h.benchmark for h in hits})
        else:
            clean.append(c)
    return clean, hits_by_benchmark


def _example(c: dict, inst: dict, text: dict) -> SFTExample:
    return SFTExample(
        example_id=content_id(inst["instruction"], text["text"]),
        instruction=inst["instruction"],
        response=text["text"],
        seed_id=inst["seed_id"],
        instruction_id=c["instruction_id"],
        response_id=c["response_id"],
        concepts=list(inst.get("concepts") or []),
        category=inst["category"],
        difficulty=inst["difficulty"],
        sample=c["sample"],
        verdict=text["verdict"],
        model=text["model"],
        source="selfalign",
        task="code generation",
    )


def run_gather(
    *,
    instructions_path: str,
    candidates: list[str],
    candidate_stats: list[str],
    out: str,
    jsonl: str,
    card: str,
    stats_path: str,
    cfg: dict,
    decontamination: dict,
    benchmark_paths: dict,
    provenance: dict,
) -> Stats:
    """The SFT set from every response shard's candidates: exact dedup on keys, near dedup on the
    survivors' signatures, decontamination, then text read only for the examples kept."""
    stats, shards, pool = _candidates(candidates, candidate_stats)
    with_candidate = len({c["instruction_id"] for c in pool})
    kept = exact_pass(pool, cfg, stats)
    del pool
    sigs = _read_where(candidates, [f"sig_{f}" for f in SIGNATURE_FIELDS], {c["response_id"] for c in kept})
    kept = near_passes(kept, cfg["dedup"]["near"], stats, {i: {f: r[f"sig_{f}"] for f in SIGNATURE_FIELDS} for i, r in sigs.items()})
    del sigs
    texts = _read_where(candidates, ["text", "verdict", "model"], {c["response_id"] for c in kept})
    instructions = {}
    wanted = {c["instruction_id"] for c in kept}
    for rows in io.iter_batches(instructions_path, batch_size=8192):
        instructions.update((r["instruction_id"], r) for r in rows if r["instruction_id"] in wanted)
    hits_by_benchmark: Counter = Counter()
    if cfg["decontaminate"] and kept:
        checker = build_decontaminator(decontamination, benchmark_paths)
        kept, hits_by_benchmark = _decontaminate(kept, instructions, texts, checker, stats)

    kept.sort(key=lambda c: c["order"])
    examples = [_example(c, instructions[c["instruction_id"]], texts[c["response_id"]]) for c in kept]
    rows = [to_row(e) for e in examples]
    io.write_rows(out, rows, schema(SFTExample))
    io.write_jsonl(jsonl, rows)
    stats.n_out = len(rows)
    all_verdicts = Counter(shards.extra.get("verdicts", {}))
    n_verdicts = sum(all_verdicts.values())
    stats.extra.update(
        mode=cfg["mode"],
        include_tests=cfg["include_tests"],
        instructions=io.count_rows(instructions_path),
        instructions_with_candidate=with_candidate,
        responses=stats.n_in,
        verdicts=dict(sorted(all_verdicts.items())),
        pass_rate=round(all_verdicts.get("pass", 0) / n_verdicts, 4) if n_verdicts else None,
        contaminated_by_benchmark=dict(sorted(hits_by_benchmark.items())),
        by_category=dict(sorted(Counter(e.category for e in examples).items())),
        by_difficulty=dict(sorted(Counter(e.difficulty for e in examples).items())),
        shards=len(candidates),
    )
    stats.save(stats_path)
    io.write_text(card, dataset_card(stats, examples, provenance))
    if not rows:
        log.warning("the SFT set is empty: no instruction kept a response (pass rate %s)", stats.extra["pass_rate"])
    return stats


def dataset_card(stats: Stats, examples: list[SFTExample], provenance: dict) -> str:
    """A Hugging Face dataset card (README.md) for the SFT set."""
    d = stats.to_dict()
    return datacard.render(
        title="codealign SFT set",
        tags=["self-alignment"],
        unit="responses",
        stats=stats,
        provenance=provenance,
        description="Instruction–response pairs a base code model wrote for itself (SelfCodeAlign recipe): instructions\n"
        "from seed functions, responses with tests, kept by executing those tests in a sandbox.",
        counts=[
            f"examples: **{d['out']}** from {d['instructions']} instructions and {d['responses']} executed responses",
            f"selection mode: `{d['mode']}`; responses {'with' if d['include_tests'] else 'without'} their tests; "
            f"pass rate of all responses: {d['pass_rate']}",
            f"verdicts: {json.dumps(d['verdicts'])}",
            f"by category: {json.dumps(d['by_category'])}; by difficulty: {json.dumps(d['by_difficulty'])}",
        ],
    )


CANDIDATES = cli.Entry(
    run_candidates,
    inputs={"instructions_path": "instructions", "responses_path": "responses", "executions_path": "verdicts"},
    outputs={"out": "candidates", "stats_path": "stats"},
    config={"cfg": "selection", "random_seed": "random_seed"},
)
GATHER = cli.Entry(
    run_gather,
    inputs={"instructions_path": "instructions", "candidates": "candidates", "candidate_stats": "shard_stats"},
    outputs={"out": "dataset", "jsonl": "jsonl", "card": "card", "stats_path": "stats"},
    config={
        "cfg": "selection",
        "decontamination": "seeds.decontamination",
        "benchmark_paths": "benchmarks",
        "provenance": datacard.selfalign_provenance,
    },
)
ENTRIES = {"candidates": CANDIDATES, "gather": GATHER}

if __name__ == "__main__":
    cli.main(ENTRIES, prog="python -m codealign.selfalign.selection")
