"""Rule codeocean_coreset → codealign.codeocean.coreset.run_coreset."""

from codealign.codeocean import coreset

coreset.CORESET.from_snakemake(snakemake)
