"""Rule codeocean_generate (one shard) → codealign.codeocean.generate."""

from codealign.codeocean import generate

generate.run_shard(
    raw_path=snakemake.input.raw,
    coreset_path=snakemake.input.coreset,
    shard=int(snakemake.wildcards.shard),
    n_shards=snakemake.params.shards,
    cfg=snakemake.params.cfg,
    execution=snakemake.params.execution,
    generation=snakemake.params.generation,
    models=snakemake.params.models,
    base_seed=snakemake.params.random_seed,
    out=snakemake.output.judged,
    rejected=snakemake.output.rejected,
    stats_path=snakemake.output.stats,
    cache_path=snakemake.params.cache,
    threads=snakemake.threads,
    log_file=snakemake.log[0],
)
