"""Rule eval_tasks → codealign.evaluate.stage.write_tasks."""

from codealign.evaluate import stage

stage.write_tasks(
    benchmark=snakemake.wildcards.benchmark,
    path=snakemake.input[0],
    cfg=snakemake.params.cfg,
    out=snakemake.output[0],
    log_file=snakemake.log[0],
)
