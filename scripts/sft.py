"""Rule sft → codealign.selfalign.select.run_gather."""

from codealign.selfalign import select

select.run_gather(
    instructions_path=snakemake.input.instructions,
    candidates=list(snakemake.input.candidates),
    candidate_stats=list(snakemake.input.stats),
    out=snakemake.output.dataset,
    jsonl=snakemake.output.jsonl,
    card=snakemake.output.card,
    stats_path=snakemake.output.stats,
    cfg=snakemake.params.cfg,
    decontamination=snakemake.params.decontamination,
    benchmark_paths=snakemake.params.benchmarks,
    provenance=snakemake.params.provenance,
    log_file=snakemake.log[0],
)
