"""Rule seeds_signatures → codealign.seeds.dedup.run_signatures."""

from codealign.seeds import dedup

dedup.SIGNATURES.from_snakemake(snakemake)
