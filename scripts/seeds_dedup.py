"""Rule seeds_dedup → codealign.seeds.dedup.run_gather."""

from codealign.seeds import dedup

dedup.run_gather(shards=list(snakemake.input.shards), signatures=list(snakemake.input.signatures), shard_stats=list(snakemake.input.stats),
                 out=snakemake.output.seeds, stats_path=snakemake.output.stats, cfg=snakemake.params.cfg, log_file=snakemake.log[0])
