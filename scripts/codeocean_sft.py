"""Rule codeocean_sft → codealign.codeocean.sft."""

from codealign.codeocean import sft

sft.ENTRY.from_snakemake(snakemake)
