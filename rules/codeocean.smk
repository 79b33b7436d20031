# The WaveCoder / CodeOcean recipe: raw code (function + comment) → embeddings → KCenterGreedy
# coreset → generator–discriminator shards (four tasks, growing example pools) → SFT set.


rule codeocean_raw:
    output:
        raw="results/{experiment}/codeocean/raw.parquet",
        stats="results/{experiment}/codeocean/raw.stats.json",
    params:
        cfg=section("codeocean.corpus"),
        code=code_version("codealign.codeocean.rawcode"),
    resources:
        mem_mb=grow(4000),
        runtime=grow(60),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/codeocean/raw.log",
    script:
        "../scripts/codeocean_raw.py"


rule codeocean_embed:
    input:
        raw=upstream("codeocean_raw", "results/{experiment}/codeocean/raw.parquet"),
    output:
        embeddings="results/{experiment}/codeocean/embeddings.npy",
        stats="results/{experiment}/codeocean/embeddings.stats.json",
    params:
        cfg=section("codeocean.coreset"),
        code=code_version("codealign.codeocean.coreset"),
    threads: 2
    resources:
        mem_mb=grow(16000),
        runtime=grow(120),
        gpu=1,
    conda:
        "../envs/generate.yaml"
    log:
        "results/{experiment}/logs/codeocean/embed.log",
    benchmark:
        "results/{experiment}/benchmarks/codeocean_embed.tsv"
    script:
        "../scripts/codeocean_embed.py"


rule codeocean_coreset:
    input:
        raw=upstream("codeocean_raw", "results/{experiment}/codeocean/raw.parquet"),
        embeddings=upstream("codeocean_embed", "results/{experiment}/codeocean/embeddings.npy"),
    output:
        coreset="results/{experiment}/codeocean/coreset.parquet",
        stats="results/{experiment}/codeocean/coreset.stats.json",
    params:
        cfg=section("codeocean.coreset"),
        random_seed=section("random_seed"),
        code=code_version("codealign.codeocean.coreset"),
    resources:
        mem_mb=grow(16000),
        runtime=grow(120),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/codeocean/coreset.log",
    benchmark:
        "results/{experiment}/benchmarks/codeocean_coreset.tsv"
    script:
        "../scripts/codeocean_coreset.py"


rule codeocean_generate:
    input:
        raw=upstream("codeocean_raw", "results/{experiment}/codeocean/raw.parquet"),
        coreset=upstream("codeocean_coreset", "results/{experiment}/codeocean/coreset.parquet"),
        model=model_input("codeocean.generate"),
        bank=bank_input("codeocean"),
    output:
        judged="results/{experiment}/codeocean/items/shard-{shard}.parquet",
        rejected="results/{experiment}/codeocean/items/shard-{shard}.rejected.jsonl",
        stats="results/{experiment}/codeocean/items/shard-{shard}.stats.json",
    params:
        cfg=section("codeocean"),
        execution=section("execution"),
        generation=section("generation"),
        models=section("models"),
        random_seed=section("random_seed"),
        shards=n_shards("codeocean"),
        cache=cache_journal("codeocean", "results/{experiment}/codeocean/items/cache"),
        code=code_version("codealign.codeocean.generate"),
    threads: JOB_THREADS
    resources:
        mem_mb=grow(32000),
        runtime=grow(240),
        gpu=1,
    conda:
        "../envs/generate.yaml"
    log:
        "results/{experiment}/logs/codeocean/generate/shard-{shard}.log",
    benchmark:
        "results/{experiment}/benchmarks/codeocean_generate/shard-{shard}.tsv"
    script:
        "../scripts/codeocean_generate.py"


rule codeocean_gather:
    input:
        shards=shard_paths("codeocean", "results/{experiment}/codeocean/items/shard-{shard}.parquet"),
        stats=shard_paths("codeocean", "results/{experiment}/codeocean/items/shard-{shard}.stats.json"),
    output:
        judged="results/{experiment}/codeocean/items.parquet",
        stats="results/{experiment}/codeocean/items.stats.json",
    params:
        code=code_version("codealign.codeocean.generate"),
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/codeocean/gather.log",
    script:
        "../scripts/codeocean_gather.py"


rule codeocean_sft:
    input:
        judged=upstream("codeocean_gather", "results/{experiment}/codeocean/items.parquet"),
        judged_stats=upstream("codeocean_gather", "results/{experiment}/codeocean/items.stats.json"),
    output:
        dataset="results/{experiment}/codeocean/sft/dataset.parquet",
        jsonl="results/{experiment}/codeocean/sft/dataset.jsonl",
        card="results/{experiment}/codeocean/sft/README.md",
        stats="results/{experiment}/codeocean/sft/stats.json",
    params:
        decontamination=section("seeds.decontamination"),
        benchmarks=section("benchmarks"),
        provenance=codeocean_provenance,
        code=code_version("codealign.codeocean.sft"),
    resources:
        mem_mb=grow(4000),
        runtime=grow(60),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/codeocean/sft.log",
    script:
        "../scripts/codeocean_sft.py"
