# Self-OSS-Instruct: judged seeds → concepts (S→C) → instructions (C→I); with instruct.mode: seed,
# judged seeds → instructions directly (S→I). Each LLM step runs in shards, then is gathered.


use rule seeds_judge as instruct_concepts with:
    input:
        seeds=upstream("seeds_judge_gather", rules.seeds_judge_gather.output.judged),
        model=model_input("instruct"),
        bank=bank_input("instruct"),
    output:
        concepts="results/{experiment}/instruct/concepts/shard-{shard}.parquet",
        rejected="results/{experiment}/instruct/concepts/shard-{shard}.rejected.jsonl",
        stats="results/{experiment}/instruct/concepts/shard-{shard}.stats.json",
    log:
        "results/{experiment}/logs/instruct_concepts/shard-{shard}.log",
    benchmark:
        "results/{experiment}/benchmarks/instruct_concepts/shard-{shard}.tsv"
    params:
        cfg=section("instruct"),
        shards=n_shards("instruct"),
        cache=cache_journal("instruct", "results/{experiment}/instruct/concepts/cache"),
        code=code_version("codealign.selfalign.instruct"),


rule instruct_concepts_gather:
    input:
        shards=shard_paths("instruct", rules.instruct_concepts.output.concepts),
        shard_stats=shard_paths("instruct", rules.instruct_concepts.output.stats),
    output:
        concepts="results/{experiment}/instruct/concepts.parquet",
        stats="results/{experiment}/instruct/concepts.stats.json",
    log:
        "results/{experiment}/logs/instruct_concepts_gather.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    params:
        code=code_version("codealign.selfalign.instruct"),
    script:
        "../scripts/instruct_concepts_gather.py"


use rule seeds_judge as instruct_instructions with:
    input:
        upstream=instruction_inputs,
        model=model_input("instruct"),
        bank=bank_input("instruct"),
    output:
        instructions="results/{experiment}/instruct/instructions/shard-{shard}.parquet",
        rejected="results/{experiment}/instruct/instructions/shard-{shard}.rejected.jsonl",
        stats="results/{experiment}/instruct/instructions/shard-{shard}.stats.json",
    log:
        "results/{experiment}/logs/instruct_instructions/shard-{shard}.log",
    benchmark:
        "results/{experiment}/benchmarks/instruct_instructions/shard-{shard}.tsv"
    params:
        cfg=section("instruct"),
        shards=n_shards("instruct"),
        cache=cache_journal("instruct", "results/{experiment}/instruct/instructions/cache"),
        code=code_version("codealign.selfalign.instruct"),


rule instruct_instructions_gather:
    input:
        shards=shard_paths("instruct", rules.instruct_instructions.output.instructions),
        shard_stats=shard_paths("instruct", rules.instruct_instructions.output.stats),
    output:
        instructions="results/{experiment}/instruct/instructions.parquet",
        stats="results/{experiment}/instruct/instructions.stats.json",
    log:
        "results/{experiment}/logs/instruct_instructions_gather.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    params:
        code=code_version("codealign.selfalign.instruct"),
    script:
        "../scripts/instruct_instructions_gather.py"
