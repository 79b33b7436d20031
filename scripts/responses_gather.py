"""Rule responses_gather → the gather of codealign.selfalign.responses.STAGE."""

from codealign.selfalign import responses

responses.GATHER.from_snakemake(snakemake)
