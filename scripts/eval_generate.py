"""Rule eval_generate → codealign.evaluate.stage.generate."""

from codealign.evaluate import stage

stage.generate(
    benchmark=snakemake.wildcards.benchmark,
    tasks_path=snakemake.input.tasks,
    model=snakemake.wildcards.model,
    cfg=snakemake.params.cfg,
    generation=snakemake.params.generation,
    models=snakemake.params.models,
    template=snakemake.params.template,
    random_seed=snakemake.params.random_seed,
    out=snakemake.output.samples,
    stats_path=snakemake.output.stats,
    cache_path=snakemake.params.cache,
    checkpoint=snakemake.input.model if snakemake.wildcards.model == "tuned" else None,
    threads=snakemake.threads,
    log_file=snakemake.log[0],
)
