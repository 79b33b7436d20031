# Self-OSS-Instruct: judged seeds → concepts (S→C) → instructions (C→I); with instruct.mode: seed,
# judged seeds → instructions directly (S→I). Each LLM step runs in shards, then is gathered.


rule instruct_concepts:
    input:
        seeds=upstream("seeds_judge_gather", "results/{experiment}/seeds/judged.parquet"),
        model=model_input("instruct"),
        bank=bank_input("instruct"),
    output:
        concepts="results/{experiment}/instruct/concepts/shard-{shard}.parquet",
        rejected="results/{experiment}/instruct/concepts/shard-{shard}.rejected.jsonl",
        stats="results/{experiment}/instruct/concepts/shard-{shard}.stats.json",
    params:
        cfg=section("instruct"),
        generation=section("generation"),
        models=section("models"),
        random_seed=section("random_seed"),
        shards=n_shards("instruct"),
        cache=cache_journal("instruct", "results/{experiment}/instruct/concepts/cache"),
        code=code_version("codealign.selfalign.instruct"),
    threads: JOB_THREADS
    resources:
        mem_mb=grow(32000),
        runtime=grow(240),
        gpu=1,
    conda:
        "../envs/generate.yaml"
    log:
        "results/{experiment}/logs/instruct_concepts/shard-{shard}.log",
    benchmark:
        "results/{experiment}/benchmarks/instruct_concepts/shard-{shard}.tsv"
    script:
        "../scripts/instruct_concepts.py"


rule instruct_concepts_gather:
    input:
        shards=shard_paths("instruct", "results/{experiment}/instruct/concepts/shard-{shard}.parquet"),
        stats=shard_paths("instruct", "results/{experiment}/instruct/concepts/shard-{shard}.stats.json"),
    output:
        concepts="results/{experiment}/instruct/concepts.parquet",
        stats="results/{experiment}/instruct/concepts.stats.json",
    params:
        record="concepts",
        code=code_version("codealign.selfalign.instruct"),
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/instruct_concepts_gather.log",
    script:
        "../scripts/instruct_gather.py"


rule instruct_instructions:
    input:
        upstream=instruction_inputs,
        model=model_input("instruct"),
        bank=bank_input("instruct"),
    output:
        instructions="results/{experiment}/instruct/instructions/shard-{shard}.parquet",
        rejected="results/{experiment}/instruct/instructions/shard-{shard}.rejected.jsonl",
        stats="results/{experiment}/instruct/instructions/shard-{shard}.stats.json",
    params:
        cfg=section("instruct"),
        generation=section("generation"),
        models=section("models"),
        random_seed=section("random_seed"),
        shards=n_shards("instruct"),
        cache=cache_journal("instruct", "results/{experiment}/instruct/instructions/cache"),
        code=code_version("codealign.selfalign.instruct"),
    threads: JOB_THREADS
    resources:
        mem_mb=grow(32000),
        runtime=grow(240),
        gpu=1,
    conda:
        "../envs/generate.yaml"
    log:
        "results/{experiment}/logs/instruct_instructions/shard-{shard}.log",
    benchmark:
        "results/{experiment}/benchmarks/instruct_instructions/shard-{shard}.tsv"
    script:
        "../scripts/instruct_instructions.py"


rule instruct_instructions_gather:
    input:
        shards=shard_paths("instruct", "results/{experiment}/instruct/instructions/shard-{shard}.parquet"),
        stats=shard_paths("instruct", "results/{experiment}/instruct/instructions/shard-{shard}.stats.json"),
    output:
        instructions="results/{experiment}/instruct/instructions.parquet",
        stats="results/{experiment}/instruct/instructions.stats.json",
    params:
        record="instructions",
        code=code_version("codealign.selfalign.instruct"),
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/instruct_instructions_gather.log",
    script:
        "../scripts/instruct_gather.py"
