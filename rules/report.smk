# The report: figures drawn from existing stats/data files (`snakemake figures` redraws them
# without rerunning any costly job) and a provenance record per experiment.
# `snakemake --report report.html` collects them, each with its caption from report/.


rule figures_selfalign:
    input:
        funnel=upstream("seeds_funnel", "results/{experiment}/seeds/funnel.json"),
        judged=upstream("seeds_judge_gather", "results/{experiment}/seeds/judged.stats.json"),
        instructions=upstream("instruct_instructions_gather", "results/{experiment}/instruct/instructions.parquet"),
        instructions_stats=upstream("instruct_instructions_gather", "results/{experiment}/instruct/instructions.stats.json"),
        responses=upstream("responses_gather", "results/{experiment}/responses.stats.json"),
        verdicts=upstream("execution_gather", "results/{experiment}/execution.parquet"),
        execution=upstream("execution_gather", "results/{experiment}/execution.stats.json"),
        sft=upstream("sft", "results/{experiment}/sft/stats.json"),
        scores=upstream("eval_report", "results/{experiment}/eval/scores.json"),
    output:
        funnel=report("results/{experiment}/figures/funnel.png", caption="../report/funnel.rst", category="{experiment}", labels={"figure": "data funnel"}),
        verdicts=report("results/{experiment}/figures/verdicts.png", caption="../report/verdicts.rst", category="{experiment}", labels={"figure": "verdicts"}),
        pass_rate=report("results/{experiment}/figures/pass_rate.png", caption="../report/pass_rate.rst", category="{experiment}", labels={"figure": "pass rate"}),
        scores=report("results/{experiment}/figures/scores.png", caption="../report/scores.rst", category="{experiment}", labels={"figure": "scores"}),
        throughput=report("results/{experiment}/figures/throughput.png", caption="../report/throughput.rst", category="{experiment}", labels={"figure": "throughput"}),
    params:
        benchmarks=benchmark_dirs,
        code=code_version("codealign.report"),
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/figures_selfalign.log",
    script:
        "../scripts/figures_selfalign.py"


rule figures_codeocean:
    input:
        stats=upstream("codeocean_gather", "results/{experiment}/codeocean/items.stats.json"),
    output:
        report("results/{experiment}/figures/codeocean.png", caption="../report/codeocean.rst", category="{experiment}", labels={"figure": "codeocean"}),
    params:
        code=code_version("codealign.report"),
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/figures_codeocean.log",
    script:
        "../scripts/figures_codeocean.py"


rule figures_ablations:
    input:
        unpack(ablation_inputs),
    output:
        report("results/figures/ablations.png", caption="../report/ablations.rst", category="experiments", labels={"figure": "ablations"}),
    params:
        code=code_version("codealign.report"),
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/logs/figures_ablations.log",
    script:
        "../scripts/figures_ablations.py"


rule effective_config:
    output:
        "results/{experiment}/config.json",
    params:
        config=experiment_config,
        configfiles=[os.path.relpath(f) for f in workflow.overwrite_configfiles],
    resources:
        mem_mb=grow(1000),
        runtime=grow(10),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/effective_config.log",
    script:
        "../scripts/effective_config.py"


rule provenance:
    input:
        unpack(provenance_inputs),
    output:
        report("results/{experiment}/provenance.json", caption="../report/provenance.rst", category="{experiment}", labels={"figure": "provenance"}),
    params:
        config=experiment_config,
        models=provenance_models,
        code=code_version("codealign.report"),
    resources:
        mem_mb=grow(4000),
        runtime=grow(60),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/provenance.log",
    script:
        "../scripts/provenance.py"


rule figures:
    input:
        figure_targets(),
    default_target: False
