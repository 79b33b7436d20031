"""Rule sft → codealign.selfalign.select.run_gather."""

from codealign.selfalign import select

select.GATHER.from_snakemake(snakemake)
