"""Rule sft → codealign.selfalign.select."""

from codealign.selfalign import select

select.run(
    instructions_path=snakemake.input.instructions,
    responses_paths=[snakemake.input.responses],
    executions_paths=[snakemake.input.verdicts],
    out=snakemake.output.dataset,
    jsonl=snakemake.output.jsonl,
    card=snakemake.output.card,
    stats_path=snakemake.output.stats,
    cfg=snakemake.params.cfg,
    decontamination=snakemake.params.decontamination,
    benchmark_paths=snakemake.params.benchmarks,
    base_seed=snakemake.params.random_seed,
    provenance=snakemake.params.provenance,
    log_file=snakemake.log[0],
)
