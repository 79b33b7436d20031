# I→R: every instruction answered n times with reasoning, implementation, explanation and tests.


use rule seeds_judge as responses with:
    input:
        instructions=upstream("instruct_instructions_gather", rules.instruct_instructions_gather.output.instructions),
        model=model_input("responses"),
        bank=bank_input("responses"),
    output:
        responses="results/{experiment}/responses/shard-{shard}.parquet",
        rejected="results/{experiment}/responses/shard-{shard}.rejected.jsonl",
        stats="results/{experiment}/responses/shard-{shard}.stats.json",
    log:
        "results/{experiment}/logs/responses/shard-{shard}.log",
    benchmark:
        "results/{experiment}/benchmarks/responses/shard-{shard}.tsv"
    params:
        cfg=section("responses"),
        shards=n_shards("responses"),
        cache=cache_journal("responses", "results/{experiment}/responses/cache"),
        code=code_version("codealign.selfalign.responses"),


rule responses_gather:
    input:
        shards=shard_paths("responses", rules.responses.output.responses),
        shard_stats=shard_paths("responses", rules.responses.output.stats),
    output:
        responses="results/{experiment}/responses/responses.parquet",
        stats="results/{experiment}/responses/responses.stats.json",
    log:
        "results/{experiment}/logs/responses_gather.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(4000),
        runtime=grow(60),
    params:
        code=code_version("codealign.generation.llmstage"),
    script:
        "../scripts/responses_gather.py"
