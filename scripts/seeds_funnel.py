"""Rule seeds_funnel → codealign.seeds.funnel."""

from codealign.seeds import funnel

funnel.run(stats_paths=list(snakemake.input), out=snakemake.output[0], log_file=snakemake.log[0])
