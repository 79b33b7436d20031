# Evaluation: per benchmark the evaluated tasks, greedy samples of every model, their scores,
# and the base-vs-tuned table and chart.


rule eval_tasks:
    input:
        data=benchmark_path,
    output:
        tasks="results/{experiment}/eval/{benchmark}/tasks.jsonl.gz",
    log:
        "results/{experiment}/logs/eval_tasks/{benchmark}.log",
    benchmark:
        "results/{experiment}/benchmarks/eval_tasks/{benchmark}.tsv"
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(2000),
        runtime=grow(30),
    params:
        cfg=section("eval"),
        code=code_version("codealign.evaluate.stage"),
    script:
        "../scripts/eval_tasks.py"


rule eval_generate:
    input:
        tasks=upstream("eval_tasks", rules.eval_tasks.output.tasks),
        checkpoint=eval_model_input,
    output:
        samples="results/{experiment}/eval/{benchmark}/{model}/samples.jsonl",
        stats="results/{experiment}/eval/{benchmark}/{model}/generation.stats.json",
    log:
        "results/{experiment}/logs/eval_generate/{benchmark}/{model}.log",
    benchmark:
        "results/{experiment}/benchmarks/eval_generate/{benchmark}/{model}.tsv"
    conda:
        "../envs/generate.yaml"
    threads: JOB_THREADS
    resources:
        mem_mb=grow(32000),
        runtime=grow(240),
        gpu=1,
    params:
        cfg=section("eval"),
        generation=section("generation"),
        models=section("models"),
        template=section("train.template"),
        random_seed=section("random_seed"),
        cache="results/{experiment}/eval/{benchmark}/{model}/cache/requests.jsonl",
        code=code_version("codealign.evaluate.stage"),
    script:
        "../scripts/eval_generate.py"


rule eval_score:
    input:
        tasks=upstream("eval_tasks", rules.eval_tasks.output.tasks),
        samples=eval_samples,
    output:
        scores="results/{experiment}/eval/{benchmark}/{model}/scores.json",
    log:
        "results/{experiment}/logs/eval_score/{benchmark}/{model}.log",
    benchmark:
        "results/{experiment}/benchmarks/eval_score/{benchmark}/{model}.tsv"
    conda:
        "../envs/codealign.yaml"
    threads: SANDBOX_THREADS
    resources:
        runtime=grow(240),
        mem_mb=sandbox_mem_mb,
    params:
        execution=section("execution"),
        limits=time_limits,
        cache_dir="results/cache/evalplus",
        code=code_version("codealign.evaluate.stage"),
    script:
        "../scripts/eval_score.py"


rule eval_report:
    input:
        unpack(eval_report_inputs),
    output:
        json="results/{experiment}/eval/scores.json",
        csv="results/{experiment}/eval/scores.csv",
        chart="results/{experiment}/eval/scores.png",
    log:
        "results/{experiment}/logs/eval_report.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(2000),
        runtime=grow(10),
    params:
        code=code_version("codealign.evaluate.stage"),
    script:
        "../scripts/eval_report.py"
