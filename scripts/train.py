"""Rule train → codealign.train.stage.train."""

from codealign.train import stage

stage.ENTRY.from_snakemake(snakemake)
