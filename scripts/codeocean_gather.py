"""Rule codeocean_gather → codealign.codeocean.generate.run_gather."""

from codealign.codeocean import generate

generate.run_gather(shards=list(snakemake.input.shards), shard_stats=list(snakemake.input.stats), out=snakemake.output.judged,
                    stats_path=snakemake.output.stats, log_file=snakemake.log[0])
