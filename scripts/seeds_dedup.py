"""Rule seeds_dedup → codealign.seeds.dedup.run_gather."""

from codealign.seeds import dedup

dedup.GATHER.from_snakemake(snakemake)
