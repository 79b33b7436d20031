"""Rule responses_gather → codealign.selfalign.responses.run_gather."""

from codealign.selfalign import responses

responses.GATHER.from_snakemake(snakemake)
