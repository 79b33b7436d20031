"""Rule seeds_judge_gather → codealign.selfalign.judge."""

from codealign.selfalign import judge

judge.run_gather(
    seeds_path=snakemake.input.seeds,
    shards=list(snakemake.input.shards),
    shard_stats=list(snakemake.input.stats),
    cfg=snakemake.params.cfg,
    base_seed=snakemake.params.random_seed,
    judgments_out=snakemake.output.judgments,
    judged_out=snakemake.output.seeds,
    stats_path=snakemake.output.stats,
    log_file=snakemake.log[0],
)
