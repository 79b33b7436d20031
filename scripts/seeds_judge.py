"""Rule seeds_judge (one shard) → codealign.selfalign.judge."""

from codealign.selfalign import judge

judge.run_shard(
    seeds_path=snakemake.input.seeds,
    shard=int(snakemake.wildcards.shard),
    n_shards=snakemake.params.shards,
    cfg=snakemake.params.cfg,
    generation=snakemake.params.generation,
    models=snakemake.params.models,
    base_seed=snakemake.params.random_seed,
    out=snakemake.output.judgments,
    rejected=snakemake.output.rejected,
    stats_path=snakemake.output.stats,
    cache_path=snakemake.params.cache,
    threads=snakemake.threads,
    log_file=snakemake.log[0],
)
