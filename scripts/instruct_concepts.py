"""Rule instruct_concepts (one shard, S→C) → codealign.selfalign.instruct."""

from codealign.selfalign import instruct

instruct.run_concepts_shard(
    seeds_path=snakemake.input.seeds,
    shard=int(snakemake.wildcards.shard),
    n_shards=snakemake.params.shards,
    cfg=snakemake.params.cfg,
    generation=snakemake.params.generation,
    models=snakemake.params.models,
    base_seed=snakemake.params.random_seed,
    out=snakemake.output.concepts,
    rejected=snakemake.output.rejected,
    stats_path=snakemake.output.stats,
    cache_path=snakemake.params.cache,
    threads=snakemake.threads,
    log_file=snakemake.log[0],
)
