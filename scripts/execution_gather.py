"""Rule execution_gather → codealign.selfalign.execute.run_gather."""

from codealign.selfalign import execute

execute.GATHER.from_snakemake(snakemake)
