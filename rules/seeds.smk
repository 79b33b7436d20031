# The seed stage: source files → top-level functions with docstrings → filtered, deduplicated,
# decontaminated seeds. Each step writes its data and a stats file counting drops by reason.
# Extract, filter and signatures run per shard (seeds.shards: contiguous ranges of the corpus
# manifest's files, read in place); dedup is the one gather, across every shard.


rule seeds_corpus:
    output:
        manifest="results/{experiment}/seeds/corpus/manifest.parquet",
    log:
        "results/{experiment}/logs/seeds_corpus.log",
    benchmark:
        "results/{experiment}/benchmarks/seeds_corpus.tsv"
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(2000),
        runtime=grow(30),
    params:
        cfg=section("seeds.corpus"),
        code=code_version("codealign.seeds.corpus"),
    script:
        "../scripts/seeds_corpus.py"


rule seeds_extract:
    input:
        manifest=upstream("seeds_corpus", rules.seeds_corpus.output.manifest),
    output:
        seeds="results/{experiment}/seeds/raw/shard-{shard}.parquet",
        corpus_stats="results/{experiment}/seeds/raw/shard-{shard}.corpus.stats.json",
        stats="results/{experiment}/seeds/raw/shard-{shard}.stats.json",
    log:
        "results/{experiment}/logs/seeds_extract/shard-{shard}.log",
    benchmark:
        "results/{experiment}/benchmarks/seeds_extract/shard-{shard}.tsv"
    conda:
        "../envs/codealign.yaml"
    threads: JOB_THREADS
    resources:
        mem_mb=grow(6000),
        runtime=grow(120),
    params:
        cfg=section("seeds.corpus"),
        shards=n_shards("seeds"),
        parts="results/{experiment}/seeds/raw/shard-{shard}.parts",
        code=code_version("codealign.seeds.extract"),
    script:
        "../scripts/seeds_extract.py"


rule seeds_filter:
    input:
        seeds=upstream("seeds_extract", rules.seeds_extract.output.seeds),
    output:
        filtered="results/{experiment}/seeds/filtered/shard-{shard}.parquet",
        stats="results/{experiment}/seeds/filtered/shard-{shard}.stats.json",
    log:
        "results/{experiment}/logs/seeds_filter/shard-{shard}.log",
    benchmark:
        "results/{experiment}/benchmarks/seeds_filter/shard-{shard}.tsv"
    conda:
        "../envs/codealign.yaml"
    threads: JOB_THREADS
    resources:
        mem_mb=grow(8000),
        runtime=grow(180),
    params:
        cfg=section("seeds.filters"),
        code=code_version("codealign.seeds.filter"),
    script:
        "../scripts/seeds_filter.py"


rule seeds_signatures:
    input:
        seeds=upstream("seeds_filter", rules.seeds_filter.output.filtered),
    output:
        signatures="results/{experiment}/seeds/signatures/shard-{shard}.parquet",
    log:
        "results/{experiment}/logs/seeds_signatures/shard-{shard}.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(2000),
        runtime=grow(30),
    params:
        cfg=section("seeds.dedup", keys=("num_perm", "ngram")),
        code=code_version("codealign.seeds.dedup"),
    script:
        "../scripts/seeds_signatures.py"


rule seeds_dedup:
    input:
        shards=shard_paths("seeds", rules.seeds_filter.output.filtered, stage="seeds_filter"),
        shard_stats=shard_paths("seeds", rules.seeds_filter.output.stats, stage="seeds_filter"),
        signatures=shard_paths("seeds", rules.seeds_signatures.output.signatures, stage="seeds_signatures"),
    output:
        seeds="results/{experiment}/seeds/dedup.parquet",
        stats="results/{experiment}/seeds/dedup.stats.json",
    log:
        "results/{experiment}/logs/seeds_dedup.log",
    benchmark:
        "results/{experiment}/benchmarks/seeds_dedup.tsv"
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(12000),
        runtime=grow(120),
    params:
        cfg=section("seeds.dedup"),
        code=code_version("codealign.seeds.dedup"),
    script:
        "../scripts/seeds_dedup.py"


rule seeds_decontaminate:
    input:
        seeds=upstream("seeds_dedup", rules.seeds_dedup.output.seeds),
        benchmarks=decontamination_files,
    output:
        clean="results/{experiment}/seeds/clean.parquet",
        hits="results/{experiment}/seeds/decontamination_hits.jsonl",
        stats="results/{experiment}/seeds/clean.stats.json",
    log:
        "results/{experiment}/logs/seeds_decontaminate.log",
    benchmark:
        "results/{experiment}/benchmarks/seeds_decontaminate.tsv"
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(8000),
        runtime=grow(120),
    params:
        cfg=section("seeds.decontamination"),
        benchmark_paths=section("benchmarks"),
        code=code_version("codealign.seeds.decontaminate"),
    script:
        "../scripts/seeds_decontaminate.py"


rule seeds_judge:
    input:
        seeds=upstream("seeds_decontaminate", rules.seeds_decontaminate.output.clean),
        model=model_input("seeds.judge"),
        bank=bank_input("seeds.judge"),
    output:
        judgments="results/{experiment}/seeds/judge/shard-{shard}.parquet",
        rejected="results/{experiment}/seeds/judge/shard-{shard}.rejected.jsonl",
        stats="results/{experiment}/seeds/judge/shard-{shard}.stats.json",
    log:
        "results/{experiment}/logs/seeds_judge/shard-{shard}.log",
    benchmark:
        "results/{experiment}/benchmarks/seeds_judge/shard-{shard}.tsv"
    conda:
        "../envs/generate.yaml"
    threads: JOB_THREADS
    resources:
        mem_mb=grow(32000),
        runtime=grow(240),
        gpu=1,
    params:
        cfg=section("seeds.judge"),
        generation=section("generation"),
        models=section("models"),
        random_seed=section("random_seed"),
        shards=n_shards("seeds.judge"),
        cache=cache_journal("seeds.judge", "results/{experiment}/seeds/judge/cache"),
        code=code_version("codealign.seeds.judge"),
    script:
        "../scripts/llm_shard.py"


rule seeds_judge_gather:
    input:
        seeds=upstream("seeds_decontaminate", rules.seeds_decontaminate.output.clean),
        shards=shard_paths("seeds.judge", rules.seeds_judge.output.judgments),
        shard_stats=shard_paths("seeds.judge", rules.seeds_judge.output.stats),
    output:
        judgments="results/{experiment}/seeds/judgments.parquet",
        judged="results/{experiment}/seeds/judged.parquet",
        stats="results/{experiment}/seeds/judged.stats.json",
    log:
        "results/{experiment}/logs/seeds_judge_gather.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    params:
        cfg=section("seeds.judge"),
        random_seed=section("random_seed"),
        code=code_version("codealign.seeds.judge"),
    script:
        "../scripts/seeds_judge_gather.py"


rule seeds_funnel:
    input:
        corpus=shard_paths("seeds", rules.seeds_extract.output.corpus_stats, stage="seeds_extract"),
        extract=shard_paths("seeds", rules.seeds_extract.output.stats, stage="seeds_extract"),
        filter=shard_paths("seeds", rules.seeds_filter.output.stats, stage="seeds_filter"),
        dedup=upstream("seeds_dedup", rules.seeds_dedup.output.stats),
        decontaminate=upstream("seeds_decontaminate", rules.seeds_decontaminate.output.stats),
        judge=upstream("seeds_judge_gather", rules.seeds_judge_gather.output.stats),
    output:
        funnel="results/{experiment}/seeds/funnel.json",
    log:
        "results/{experiment}/logs/seeds_funnel.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(1000),
        runtime=grow(10),
    params:
        code=code_version("codealign.seeds.funnel"),
    script:
        "../scripts/seeds_funnel.py"
