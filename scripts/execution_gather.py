"""Rule execution_gather → codealign.selfalign.execute.run_gather."""

from codealign.selfalign import execute

execute.run_gather(shards=list(snakemake.input.shards), shard_stats=list(snakemake.input.stats), out=snakemake.output.verdicts,
                   stats_path=snakemake.output.stats, log_file=snakemake.log[0])
