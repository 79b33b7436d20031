"""Rule selection_candidates → codealign.selfalign.selection.run_candidates."""

from codealign.selfalign import selection

selection.CANDIDATES.from_snakemake(snakemake)
