"""Rule seeds_extract → codealign.seeds.extract.run_shard."""

from codealign.seeds import extract

extract.ENTRY.from_snakemake(snakemake)
