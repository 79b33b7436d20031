"""Rule responses_gather → codealign.selfalign.respond.run_gather."""

from codealign.selfalign import respond

respond.GATHER.from_snakemake(snakemake)
