"""Rule codeocean_embed → codealign.codeocean.coreset.run_embed."""

from codealign.codeocean import coreset

coreset.run_embed(raw_path=snakemake.input.raw, out=snakemake.output.embeddings, stats_path=snakemake.output.stats,
                  cfg=snakemake.params.cfg, threads=snakemake.threads, log_file=snakemake.log[0])
