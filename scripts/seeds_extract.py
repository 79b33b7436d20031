"""Rule seeds_extract → codealign.seeds.extract."""

from codealign.seeds import extract

extract.run(
    docs=snakemake.input.docs,
    out=snakemake.output.seeds,
    stats_path=snakemake.output.stats,
    threads=snakemake.threads,
    log_file=snakemake.log[0],
)
