"""Rule sft_candidates → codealign.selfalign.select.run_candidates."""

from codealign.selfalign import select

select.run_candidates(
    instructions_path=snakemake.input.instructions,
    responses_path=snakemake.input.responses,
    executions_path=snakemake.input.verdicts,
    out=snakemake.output.candidates,
    stats_path=snakemake.output.stats,
    cfg=snakemake.params.cfg,
    base_seed=snakemake.params.random_seed,
    log_file=snakemake.log[0],
)
