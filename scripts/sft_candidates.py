"""Rule sft_candidates → codealign.selfalign.select.run_candidates."""

from codealign.selfalign import select

select.CANDIDATES.from_snakemake(snakemake)
