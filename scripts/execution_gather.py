"""Rule execution_gather → codealign.selfalign.execution.run_gather."""

from codealign.selfalign import execution

execution.GATHER.from_snakemake(snakemake)
