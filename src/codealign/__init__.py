"""codealign: a reproducible Snakemake workflow that self-aligns a code LLM.

Floors (each imports only from the ones above it in this list):
ground      config, io, records, stats, logs, dedup, decontam, benchmarks, sandbox, workflow
generation  backends, request cache, sharded runner, few-shot prompts
recipes     seeds, selfalign, codeocean, train, evaluate, report
"""

__version__ = "0.1.0"
