"""Rule codeocean_coreset → codealign.codeocean.coreset.run_coreset."""

from codealign.codeocean import coreset

coreset.run_coreset(raw_path=snakemake.input.raw, embeddings_path=snakemake.input.embeddings, out=snakemake.output.coreset,
                    stats_path=snakemake.output.stats, cfg=snakemake.params.cfg, base_seed=snakemake.params.random_seed,
                    log_file=snakemake.log[0])
