"""Rule codeocean_raw → codealign.codeocean.rawcode."""

from codealign.codeocean import rawcode

rawcode.ENTRY.from_snakemake(snakemake)
