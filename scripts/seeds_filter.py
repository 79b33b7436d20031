"""Rule seeds_filter → codealign.seeds.filter."""

from codealign.seeds import filter

filter.ENTRY.from_snakemake(snakemake)
