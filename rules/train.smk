# Fine-tuning: the SFT set(s) that train.mix weighs → a merged, loadable Hugging Face checkpoint.


rule train:
    input:
        unpack(train_inputs),
    output:
        checkpoint=directory("results/{experiment}/train/checkpoint"),
        log="results/{experiment}/train/log.json",
        curve="results/{experiment}/train/loss.png",
    log:
        "results/{experiment}/logs/train.log",
    benchmark:
        "results/{experiment}/benchmarks/train.tsv"
    conda:
        "../envs/train.yaml"
    threads: JOB_THREADS
    resources:
        mem_mb=grow(64000),
        runtime=grow(720),
        gpu=1,
    params:
        cfg=section("train"),
        models=section("models"),
        random_seed=section("random_seed"),
        work="results/{experiment}/train/work",
        code=code_version("codealign.train.stage"),
    script:
        "../scripts/train.py"
