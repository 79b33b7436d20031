"""Rule seeds_filter → codealign.seeds.filter."""

from codealign.seeds import filter

filter.run(
    seeds=snakemake.input.seeds,
    out=snakemake.output.seeds,
    stats_path=snakemake.output.stats,
    cfg=snakemake.params.cfg,
    threads=snakemake.threads,
    log_file=snakemake.log[0],
)
