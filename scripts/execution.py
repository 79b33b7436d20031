"""Rule execution (one shard) → codealign.selfalign.execute."""

from codealign.selfalign import execute

execute.run_shard(
    responses_path=snakemake.input.responses,
    out=snakemake.output.verdicts,
    stats_path=snakemake.output.stats,
    cache_path=snakemake.params.cache,
    cfg=snakemake.params.cfg,
    threads=snakemake.threads,
    job_mem_mb=snakemake.resources.get("mem_mb"),
    log_file=snakemake.log[0],
)
