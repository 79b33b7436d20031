"""Rule selection → codealign.selfalign.selection.run_gather."""

from codealign.selfalign import selection

selection.GATHER.from_snakemake(snakemake)
