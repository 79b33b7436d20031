"""Rule seeds_funnel → codealign.seeds.funnel."""

from codealign.seeds import funnel

steps = ("corpus", "extract", "filter", "dedup", "decontaminate", "judge")
funnel.run(stats_paths=[list(snakemake.input[name]) if name in ("corpus", "extract", "filter") else snakemake.input[name] for name in steps],
           out=snakemake.output[0], log_file=snakemake.log[0])
