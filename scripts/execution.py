"""Rule execution (one shard) → codealign.selfalign.execution."""

from codealign.selfalign import execution

execution.SHARD.from_snakemake(snakemake)
