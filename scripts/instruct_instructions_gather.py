"""Rule instruct_instructions_gather → the gather of codealign.selfalign.instruct.INSTRUCTIONS_STAGE."""

from codealign.selfalign import instruct

instruct.GATHER_INSTRUCTIONS.from_snakemake(snakemake)
