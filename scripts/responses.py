"""Rule responses (one shard, I→R) → codealign.selfalign.respond."""

from codealign.selfalign import respond

respond.run_shard(
    instructions_path=snakemake.input.instructions,
    shard=int(snakemake.wildcards.shard),
    n_shards=snakemake.params.shards,
    cfg=snakemake.params.cfg,
    generation=snakemake.params.generation,
    models=snakemake.params.models,
    base_seed=snakemake.params.random_seed,
    out=snakemake.output.responses,
    rejected=snakemake.output.rejected,
    stats_path=snakemake.output.stats,
    cache_path=snakemake.params.cache,
    threads=snakemake.threads,
    log_file=snakemake.log[0],
)
