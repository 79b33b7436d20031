# Evaluation: per benchmark the evaluated tasks, greedy samples of every model, their scores,
# and the base-vs-tuned table and chart.


rule eval_tasks:
    input:
        benchmark_path,
    output:
        "results/{experiment}/eval/{benchmark}/tasks.jsonl.gz",
    params:
        cfg=section("eval"),
        code=code_version("codealign.evaluate.stage"),
    resources:
        mem_mb=grow(2000),
        runtime=grow(30),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/eval_tasks/{benchmark}.log",
    script:
        "../scripts/eval_tasks.py"


rule eval_generate:
    input:
        tasks=upstream("eval_tasks", "results/{experiment}/eval/{benchmark}/tasks.jsonl.gz"),
        model=eval_model_input,
    output:
        samples="results/{experiment}/eval/{benchmark}/{model}/samples.jsonl",
        stats="results/{experiment}/eval/{benchmark}/{model}/generation.stats.json",
    params:
        cfg=section("eval"),
        generation=section("generation"),
        models=section("models"),
        template=section("train.template"),
        random_seed=section("random_seed"),
        cache="results/{experiment}/eval/{benchmark}/{model}/cache/requests.jsonl",
        code=code_version("codealign.evaluate.stage"),
    threads: JOB_THREADS
    resources:
        mem_mb=grow(32000),
        runtime=grow(240),
        gpu=1,
    conda:
        "../envs/generate.yaml"
    log:
        "results/{experiment}/logs/eval_generate/{benchmark}/{model}.log",
    benchmark:
        "results/{experiment}/benchmarks/eval_generate/{benchmark}/{model}.tsv"
    script:
        "../scripts/eval_generate.py"


rule eval_score:
    input:
        tasks=upstream("eval_tasks", "results/{experiment}/eval/{benchmark}/tasks.jsonl.gz"),
        samples=eval_samples,
    output:
        "results/{experiment}/eval/{benchmark}/{model}/scores.json",
    params:
        execution=section("execution"),
        evalplus=section("eval.evalplus"),
        harness=harness_settings,
        cache_dir="results/cache/evalplus",
        code=code_version("codealign.evaluate.stage"),
    threads: SANDBOX_THREADS
    resources:
        runtime=grow(240),
        mem_mb=sandbox_mem_mb,
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/eval_score/{benchmark}/{model}.log",
    benchmark:
        "results/{experiment}/benchmarks/eval_score/{benchmark}/{model}.tsv"
    script:
        "../scripts/eval_score.py"


rule eval_report:
    input:
        unpack(eval_report_inputs),
    output:
        json="results/{experiment}/eval/scores.json",
        csv="results/{experiment}/eval/scores.csv",
        chart="results/{experiment}/eval/scores.png",
    params:
        code=code_version("codealign.evaluate.stage"),
    resources:
        mem_mb=grow(2000),
        runtime=grow(10),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/eval_report.log",
    script:
        "../scripts/eval_report.py"
