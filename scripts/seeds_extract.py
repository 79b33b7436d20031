"""Rule seeds_extract → codealign.seeds.extract.run_shard."""

from codealign.seeds import extract

extract.run_shard(
    manifest=snakemake.input.manifest,
    shard=int(snakemake.wildcards.shard),
    n_shards=snakemake.params.shards,
    cfg=snakemake.params.cfg,
    out=snakemake.output.seeds,
    stats_path=snakemake.output.stats,
    corpus_stats_path=snakemake.output.corpus_stats,
    parts_dir=snakemake.params.parts,
    version=snakemake.params.code,
    threads=snakemake.threads,
    log_file=snakemake.log[0],
)
