"""Rule instruct_concepts_gather → codealign.selfalign.instruct.gather_concepts."""

from codealign.selfalign import instruct

instruct.GATHER_CONCEPTS.from_snakemake(snakemake)
