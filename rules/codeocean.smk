# The WaveCoder / CodeOcean recipe: raw code (function + comment) → embeddings → KCenterGreedy
# coreset → generator–discriminator shards (four tasks, growing example pools) → SFT set.


rule codeocean_raw:
    output:
        raw="results/{experiment}/codeocean/raw.parquet",
        stats="results/{experiment}/codeocean/raw.stats.json",
    log:
        "results/{experiment}/logs/codeocean_raw.log",
    benchmark:
        "results/{experiment}/benchmarks/codeocean_raw.tsv"
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(4000),
        runtime=grow(60),
    params:
        cfg=section("codeocean.corpus"),
        code=code_version("codealign.codeocean.rawcode"),
    script:
        "../scripts/codeocean_raw.py"


rule codeocean_embed:
    input:
        raw=upstream("codeocean_raw", rules.codeocean_raw.output.raw),
    output:
        embeddings="results/{experiment}/codeocean/embeddings.npy",
        stats="results/{experiment}/codeocean/embeddings.stats.json",
    log:
        "results/{experiment}/logs/codeocean_embed.log",
    benchmark:
        "results/{experiment}/benchmarks/codeocean_embed.tsv"
    conda:
        "../envs/generate.yaml"
    threads: 2
    resources:
        mem_mb=grow(16000),
        runtime=grow(120),
        gpu=1,
    params:
        cfg=section("codeocean.coreset"),
        code=code_version("codealign.codeocean.coreset"),
    script:
        "../scripts/codeocean_embed.py"


rule codeocean_coreset:
    input:
        raw=upstream("codeocean_raw", rules.codeocean_raw.output.raw),
        embeddings=upstream("codeocean_embed", rules.codeocean_embed.output.embeddings),
    output:
        coreset="results/{experiment}/codeocean/coreset.parquet",
        stats="results/{experiment}/codeocean/coreset.stats.json",
    log:
        "results/{experiment}/logs/codeocean_coreset.log",
    benchmark:
        "results/{experiment}/benchmarks/codeocean_coreset.tsv"
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(16000),
        runtime=grow(120),
    params:
        cfg=section("codeocean.coreset"),
        random_seed=section("random_seed"),
        code=code_version("codealign.codeocean.coreset"),
    script:
        "../scripts/codeocean_coreset.py"


use rule seeds_judge as codeocean_generate with:
    input:
        raw=upstream("codeocean_raw", rules.codeocean_raw.output.raw),
        coreset=upstream("codeocean_coreset", rules.codeocean_coreset.output.coreset),
        model=model_input("codeocean.generate"),
        bank=bank_input("codeocean"),
    output:
        judged="results/{experiment}/codeocean/items/shard-{shard}.parquet",
        rejected="results/{experiment}/codeocean/items/shard-{shard}.rejected.jsonl",
        stats="results/{experiment}/codeocean/items/shard-{shard}.stats.json",
    log:
        "results/{experiment}/logs/codeocean_generate/shard-{shard}.log",
    benchmark:
        "results/{experiment}/benchmarks/codeocean_generate/shard-{shard}.tsv"
    params:
        cfg=section("codeocean"),
        execution=section("execution"),
        shards=n_shards("codeocean"),
        cache=cache_journal("codeocean", "results/{experiment}/codeocean/items/cache"),
        code=code_version("codealign.codeocean.generate"),


rule codeocean_gather:
    input:
        shards=shard_paths("codeocean", rules.codeocean_generate.output.judged),
        shard_stats=shard_paths("codeocean", rules.codeocean_generate.output.stats),
    output:
        judged="results/{experiment}/codeocean/items.parquet",
        stats="results/{experiment}/codeocean/items.stats.json",
    log:
        "results/{experiment}/logs/codeocean_gather.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    params:
        code=code_version("codealign.codeocean.generate"),
    script:
        "../scripts/codeocean_gather.py"


rule codeocean_sft:
    input:
        judged=upstream("codeocean_gather", rules.codeocean_gather.output.judged),
        judged_stats=upstream("codeocean_gather", rules.codeocean_gather.output.stats),
    output:
        dataset="results/{experiment}/codeocean/sft/dataset.parquet",
        jsonl="results/{experiment}/codeocean/sft/dataset.jsonl",
        card="results/{experiment}/codeocean/sft/README.md",
        stats="results/{experiment}/codeocean/sft/stats.json",
    log:
        "results/{experiment}/logs/codeocean_sft.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(4000),
        runtime=grow(60),
    params:
        decontamination=section("seeds.decontamination"),
        benchmark_paths=section("benchmarks"),
        provenance=codeocean_provenance,
        code=code_version("codealign.codeocean.sft"),
    script:
        "../scripts/codeocean_sft.py"
