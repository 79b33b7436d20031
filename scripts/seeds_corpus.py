"""Rule seeds_corpus → codealign.seeds.corpus."""

from codealign.seeds import corpus

corpus.ENTRY.from_snakemake(snakemake)
