"""Rule seeds_decontaminate → codealign.seeds.decontaminate."""

from codealign.seeds import decontaminate

decontaminate.run(
    seeds=snakemake.input.seeds,
    out=snakemake.output.seeds,
    hits_path=snakemake.output.hits,
    stats_path=snakemake.output.stats,
    cfg=snakemake.params.cfg,
    benchmark_paths=snakemake.params.benchmarks,
    log_file=snakemake.log[0],
)
