"""Rule instruct_instructions (one shard, C→I or S→I) → codealign.selfalign.instruct."""

from codealign.selfalign import instruct

instruct.run_instructions_shard(
    items_path=snakemake.input.upstream,
    shard=int(snakemake.wildcards.shard),
    n_shards=snakemake.params.shards,
    cfg=snakemake.params.cfg,
    generation=snakemake.params.generation,
    models=snakemake.params.models,
    base_seed=snakemake.params.random_seed,
    out=snakemake.output.instructions,
    rejected=snakemake.output.rejected,
    stats_path=snakemake.output.stats,
    cache_path=snakemake.params.cache,
    threads=snakemake.threads,
    log_file=snakemake.log[0],
)
