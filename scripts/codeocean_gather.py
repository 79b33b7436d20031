"""Rule codeocean_gather → codealign.codeocean.generate.run_gather."""

from codealign.codeocean import generate

generate.run_gather(shards=[p for p in snakemake.input if p.endswith(".parquet")], out=snakemake.output.judged,
                    stats_path=snakemake.output.stats, log_file=snakemake.log[0])
