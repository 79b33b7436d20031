"""Rules instruct_concepts_gather / instruct_instructions_gather → codealign.selfalign.instruct."""

from codealign.selfalign import instruct

record = snakemake.params.record
instruct.run_gather(
    stage=f"instruct_{record}",
    record=record,
    shards=list(snakemake.input.shards),
    shard_stats=list(snakemake.input.stats),
    out=snakemake.output[0],
    stats_path=snakemake.output.stats,
    log_file=snakemake.log[0],
)
