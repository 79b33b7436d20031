"""Rule codeocean_raw → codealign.codeocean.rawcode."""

from codealign.codeocean import rawcode

rawcode.run(out=snakemake.output.raw, stats_path=snakemake.output.stats, cfg=snakemake.params.cfg, log_file=snakemake.log[0])
