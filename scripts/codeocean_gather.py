"""Rule codeocean_gather → codealign.codeocean.generate.run_gather."""

from codealign.codeocean import generate

generate.GATHER.from_snakemake(snakemake)
