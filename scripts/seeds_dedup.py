"""Rule seeds_dedup → codealign.seeds.dedup."""

from codealign.seeds import dedup

dedup.run(seeds=snakemake.input.seeds, out=snakemake.output.seeds, stats_path=snakemake.output.stats, cfg=snakemake.params.cfg, log_file=snakemake.log[0])
