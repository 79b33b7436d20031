"""Rule execution (one shard) → codealign.selfalign.execute."""

from codealign.selfalign import execute

execute.SHARD.from_snakemake(snakemake)
