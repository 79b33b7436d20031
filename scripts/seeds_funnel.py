"""Rule seeds_funnel → codealign.seeds.funnel."""

from codealign.seeds import funnel

funnel.ENTRY.from_snakemake(snakemake)
