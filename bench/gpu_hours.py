"""GPU-hours of a paper-scale run (config/paper.yaml), estimated from what a run measured.

Tokens per request of every LLM stage come from a finished run's stats files (default: the
embedded default run); the paper's counts set how many requests each stage makes; the generation
throughput of the GPU is an input (``--tokens-per-second``, output tokens/s of one GPU with vLLM
batching). Measure it on your cluster with one shard: a responses shard's stats file reports
``generation.tokens_per_second``; pass that.

    python bench/gpu_hours.py [--run results/default] --tokens-per-second 2500
"""

from __future__ import annotations

import argparse
from pathlib import Path

from codealign import io

# Requests per stage at paper scale (SelfCodeAlign): judge 1 per seed candidate, S→C and C→I 1 per
# seed, I→R 10 samples per instruction.
PAPER_REQUESTS = {
    "seeds/judged.stats.json": 250_000,
    "instruct/concepts.stats.json": 250_000,
    "instruct/instructions.stats.json": 238_000,
    "responses/responses.stats.json": 2_400_000,
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--run", default="results/default")
    p.add_argument("--tokens-per-second", type=float, required=True, help="output tokens/s of one GPU (measured on your cluster)")
    args = p.parse_args()
    total = 0.0
    print(f"{'stage':<36}{'tokens/request':>16}{'requests':>12}{'tokens':>16}")
    for rel, requests in PAPER_REQUESTS.items():
        stats = io.read_json(Path(args.run) / rel)
        gen = stats.get("generation") or {}
        samples = stats["in"] if rel == "responses/responses.stats.json" else gen.get("requests") or stats["in"]
        per = (gen.get("completion_tokens") or 0) / max(samples, 1)
        tokens = per * requests
        total += tokens
        print(f"{rel:<36}{per:>16.1f}{requests:>12,}{tokens:>16,.0f}")
    hours = total / args.tokens_per_second / 3600
    print(
        f"total {total:,.0f} output tokens → {hours:,.1f} GPU-hours at {args.tokens_per_second:,.0f} tokens/s "
        f"(token counts measured on {args.run}; their length is capped by that run's max_new_tokens)"
    )


if __name__ == "__main__":
    main()
