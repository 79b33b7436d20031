"""Rule seeds_decontaminate → codealign.seeds.decontaminate."""

from codealign.seeds import decontaminate

decontaminate.ENTRY.from_snakemake(snakemake)
