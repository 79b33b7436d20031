"""Rule execution_gather → codealign.selfalign.execute.run_gather."""

from codealign.selfalign import execute

shards = [p for p in snakemake.input if p.endswith(".parquet")]
execute.run_gather(shards=shards, out=snakemake.output.verdicts, stats_path=snakemake.output.stats, log_file=snakemake.log[0])
