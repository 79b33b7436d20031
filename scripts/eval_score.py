"""Rule eval_score → codealign.evaluate.stage.score."""

from codealign.evaluate import stage

stage.score(
    benchmark=snakemake.wildcards.benchmark,
    tasks_path=snakemake.input.tasks,
    samples_path=snakemake.input.samples,
    out=snakemake.output[0],
    execution=snakemake.params.execution,
    cache_dir=snakemake.params.cache_dir,
    threads=snakemake.threads,
    evalplus=snakemake.params.evalplus,
    harness=snakemake.params.harness,
    log_file=snakemake.log[0],
)
