"""Rule effective_config: the experiment's config as this run validated it (defaults filled,
overlays merged as Snakemake merges --configfile), beside the config files it came from."""

from codealign import io

io.write_json(snakemake.output[0], {"configfiles": snakemake.params.configfiles, "config": snakemake.params.config})
