# The seed stage: source files → top-level functions with docstrings → filtered, deduplicated,
# decontaminated seeds. Each step writes its data and a stats file counting drops by reason.


rule seeds_corpus:
    output:
        docs="results/{experiment}/seeds/corpus.parquet",
        stats="results/{experiment}/seeds/corpus.stats.json",
    params:
        cfg=section("seeds.corpus"),
        code=code_version("codealign.seeds.corpus"),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/seeds_corpus.log",
    benchmark:
        "results/{experiment}/benchmarks/seeds_corpus.tsv"
    script:
        "../scripts/seeds_corpus.py"


rule seeds_extract:
    input:
        docs=upstream("seeds_corpus", "results/{experiment}/seeds/corpus.parquet"),
    output:
        seeds="results/{experiment}/seeds/raw.parquet",
        stats="results/{experiment}/seeds/raw.stats.json",
    params:
        code=code_version("codealign.seeds.extract"),
    threads: 8
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/seeds_extract.log",
    benchmark:
        "results/{experiment}/benchmarks/seeds_extract.tsv"
    script:
        "../scripts/seeds_extract.py"


rule seeds_filter:
    input:
        seeds=upstream("seeds_extract", "results/{experiment}/seeds/raw.parquet"),
    output:
        seeds="results/{experiment}/seeds/filtered.parquet",
        stats="results/{experiment}/seeds/filtered.stats.json",
    params:
        cfg=section("seeds.filters"),
        code=code_version("codealign.seeds.filter"),
    threads: 8
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/seeds_filter.log",
    benchmark:
        "results/{experiment}/benchmarks/seeds_filter.tsv"
    script:
        "../scripts/seeds_filter.py"


rule seeds_dedup:
    input:
        seeds=upstream("seeds_filter", "results/{experiment}/seeds/filtered.parquet"),
    output:
        seeds="results/{experiment}/seeds/dedup.parquet",
        stats="results/{experiment}/seeds/dedup.stats.json",
    params:
        cfg=section("seeds.dedup"),
        code=code_version("codealign.seeds.dedup"),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/seeds_dedup.log",
    benchmark:
        "results/{experiment}/benchmarks/seeds_dedup.tsv"
    script:
        "../scripts/seeds_dedup.py"


rule seeds_decontaminate:
    input:
        seeds=upstream("seeds_dedup", "results/{experiment}/seeds/dedup.parquet"),
        benchmarks=decontamination_files,
    output:
        seeds="results/{experiment}/seeds/clean.parquet",
        hits="results/{experiment}/seeds/decontamination_hits.jsonl",
        stats="results/{experiment}/seeds/clean.stats.json",
    params:
        cfg=section("seeds.decontamination"),
        benchmarks=section("benchmarks"),
        code=code_version("codealign.seeds.decontaminate"),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/seeds_decontaminate.log",
    script:
        "../scripts/seeds_decontaminate.py"


rule seeds_judge:
    input:
        seeds=upstream("seeds_decontaminate", "results/{experiment}/seeds/clean.parquet"),
        model=model_input("seeds.judge"),
        bank=bank_input("seeds.judge"),
    output:
        judgments="results/{experiment}/seeds/judge/shard-{shard}.parquet",
        rejected="results/{experiment}/seeds/judge/shard-{shard}.rejected.jsonl",
        stats="results/{experiment}/seeds/judge/shard-{shard}.stats.json",
    params:
        cfg=section("seeds.judge"),
        generation=section("generation"),
        models=section("models"),
        random_seed=section("random_seed"),
        shards=n_shards("seeds.judge"),
        cache="results/{experiment}/seeds/judge/cache/shard-{shard}.jsonl",
        code=code_version("codealign.selfalign.judge"),
    threads: 8
    resources:
        gpu=1,
    conda:
        "../envs/generate.yaml"
    log:
        "results/{experiment}/logs/seeds_judge/shard-{shard}.log",
    benchmark:
        "results/{experiment}/benchmarks/seeds_judge/shard-{shard}.tsv"
    script:
        "../scripts/seeds_judge.py"


rule seeds_judge_gather:
    input:
        seeds=upstream("seeds_decontaminate", "results/{experiment}/seeds/clean.parquet"),
        shards=shard_paths("seeds.judge", "results/{experiment}/seeds/judge/shard-{shard}.parquet"),
        stats=shard_paths("seeds.judge", "results/{experiment}/seeds/judge/shard-{shard}.stats.json"),
    output:
        judgments="results/{experiment}/seeds/judgments.parquet",
        seeds="results/{experiment}/seeds/judged.parquet",
        stats="results/{experiment}/seeds/judged.stats.json",
    params:
        cfg=section("seeds.judge"),
        random_seed=section("random_seed"),
        code=code_version("codealign.selfalign.judge"),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/seeds_judge_gather.log",
    script:
        "../scripts/seeds_judge_gather.py"


rule seeds_funnel:
    input:
        upstream("seeds_corpus", "results/{experiment}/seeds/corpus.stats.json"),
        upstream("seeds_extract", "results/{experiment}/seeds/raw.stats.json"),
        upstream("seeds_filter", "results/{experiment}/seeds/filtered.stats.json"),
        upstream("seeds_dedup", "results/{experiment}/seeds/dedup.stats.json"),
        upstream("seeds_decontaminate", "results/{experiment}/seeds/clean.stats.json"),
        upstream("seeds_judge_gather", "results/{experiment}/seeds/judged.stats.json"),
    output:
        "results/{experiment}/seeds/funnel.json",
    params:
        code=code_version("codealign.seeds.funnel"),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/seeds_funnel.log",
    script:
        "../scripts/seeds_funnel.py"
