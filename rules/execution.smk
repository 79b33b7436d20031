# Self-validation: each response's implementation runs against its own tests in the sandbox,
# one job per response shard.


rule execution:
    input:
        responses=upstream("responses", rules.responses.output.responses),
    output:
        verdicts="results/{experiment}/execution/shard-{shard}.parquet",
        stats="results/{experiment}/execution/shard-{shard}.stats.json",
    log:
        "results/{experiment}/logs/execution/shard-{shard}.log",
    benchmark:
        "results/{experiment}/benchmarks/execution/shard-{shard}.tsv"
    conda:
        "../envs/codealign.yaml"
    threads: SANDBOX_THREADS
    resources:
        runtime=grow(240),
        mem_mb=sandbox_mem_mb,
    params:
        cfg=section("execution"),
        cache=cache_journal("responses", "results/{experiment}/execution/cache"),
        code=code_version("codealign.selfalign.execution"),
    script:
        "../scripts/execution.py"


rule execution_gather:
    input:
        shards=shard_paths("responses", rules.execution.output.verdicts),
        shard_stats=shard_paths("responses", rules.execution.output.stats),
    output:
        verdicts="results/{experiment}/execution/execution.parquet",
        stats="results/{experiment}/execution/execution.stats.json",
    log:
        "results/{experiment}/logs/execution_gather.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    params:
        code=code_version("codealign.selfalign.execution"),
    script:
        "../scripts/execution_gather.py"
