"""Rule instruct_concepts_gather → the gather of codealign.selfalign.instruct.CONCEPTS_STAGE."""

from codealign.selfalign import instruct

instruct.GATHER_CONCEPTS.from_snakemake(snakemake)
