"""Rule codeocean_embed → codealign.codeocean.coreset.run_embed."""

from codealign.codeocean import coreset

coreset.EMBED.from_snakemake(snakemake)
