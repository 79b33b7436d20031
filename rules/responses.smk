# I→R: every instruction answered n times with reasoning, implementation, explanation and tests.


rule responses:
    input:
        instructions=upstream("instruct_instructions_gather", "results/{experiment}/instruct/instructions.parquet"),
        model=model_input("responses"),
        bank=bank_input("responses"),
    output:
        responses="results/{experiment}/responses/shard-{shard}.parquet",
        rejected="results/{experiment}/responses/shard-{shard}.rejected.jsonl",
        stats="results/{experiment}/responses/shard-{shard}.stats.json",
    params:
        cfg=section("responses"),
        generation=section("generation"),
        models=section("models"),
        random_seed=section("random_seed"),
        shards=n_shards("responses"),
        cache=cache_journal("responses", "results/{experiment}/responses/cache"),
        code=code_version("codealign.selfalign.respond"),
    threads: JOB_THREADS
    resources:
        mem_mb=grow(32000),
        runtime=grow(240),
        gpu=1,
    conda:
        "../envs/generate.yaml"
    log:
        "results/{experiment}/logs/responses/shard-{shard}.log",
    benchmark:
        "results/{experiment}/benchmarks/responses/shard-{shard}.tsv"
    script:
        "../scripts/responses.py"


rule responses_gather:
    input:
        shards=shard_paths("responses", "results/{experiment}/responses/shard-{shard}.parquet"),
        stats=shard_paths("responses", "results/{experiment}/responses/shard-{shard}.stats.json"),
    output:
        responses="results/{experiment}/responses.parquet",
        stats="results/{experiment}/responses.stats.json",
    params:
        code=code_version("codealign.selfalign.llmstage"),
    resources:
        mem_mb=grow(4000),
        runtime=grow(60),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/responses_gather.log",
    script:
        "../scripts/responses_gather.py"
