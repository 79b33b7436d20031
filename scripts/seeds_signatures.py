"""Rule seeds_signatures → codealign.seeds.dedup.run_signatures."""

from codealign.seeds import dedup

dedup.run_signatures(seeds=snakemake.input.seeds, out=snakemake.output.signatures, cfg=snakemake.params.cfg, log_file=snakemake.log[0])
