"""Rule instruct_instructions_gather → codealign.selfalign.instruct.gather_instructions."""

from codealign.selfalign import instruct

instruct.GATHER_INSTRUCTIONS.from_snakemake(snakemake)
