# Self-validation: each response's implementation runs against its own tests in the sandbox,
# one job per response shard.


rule execution:
    input:
        responses=upstream("responses", "results/{experiment}/responses/shard-{shard}.parquet"),
    output:
        verdicts="results/{experiment}/execution/shard-{shard}.parquet",
        stats="results/{experiment}/execution/shard-{shard}.stats.json",
    params:
        cfg=section("execution"),
        cache=cache_journal("responses", "results/{experiment}/execution/cache"),
        code=code_version("codealign.selfalign.execute"),
    threads: SANDBOX_THREADS
    resources:
        runtime=grow(240),
        mem_mb=sandbox_mem_mb,
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/execution/shard-{shard}.log",
    benchmark:
        "results/{experiment}/benchmarks/execution/shard-{shard}.tsv"
    script:
        "../scripts/execution.py"


rule execution_gather:
    input:
        shards=shard_paths("responses", "results/{experiment}/execution/shard-{shard}.parquet"),
        stats=shard_paths("responses", "results/{experiment}/execution/shard-{shard}.stats.json"),
    output:
        verdicts="results/{experiment}/execution.parquet",
        stats="results/{experiment}/execution.stats.json",
    params:
        code=code_version("codealign.selfalign.execute"),
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/execution_gather.log",
    script:
        "../scripts/execution_gather.py"
