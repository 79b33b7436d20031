# The report: figures drawn from existing stats/data files (`snakemake figures` redraws them
# without rerunning any costly job) and a provenance record per experiment.
# `snakemake --report report.html` collects them, each with its caption from report/.


rule figures_selfalign:
    input:
        funnel=upstream("seeds_funnel", rules.seeds_funnel.output.funnel),
        judged=upstream("seeds_judge_gather", rules.seeds_judge_gather.output.stats),
        instructions=upstream("instruct_instructions_gather", rules.instruct_instructions_gather.output.instructions),
        instructions_stats=upstream("instruct_instructions_gather", rules.instruct_instructions_gather.output.stats),
        responses=upstream("responses_gather", rules.responses_gather.output.stats),
        verdicts=upstream("execution_gather", rules.execution_gather.output.verdicts),
        execution=upstream("execution_gather", rules.execution_gather.output.stats),
        sft=upstream("selection", rules.selection.output.stats),
        scores=upstream("eval_report", rules.eval_report.output.json),
    output:
        funnel=report(
            "results/{experiment}/figures/funnel.png",
            caption="../report/funnel.rst",
            category="{experiment}",
            labels={"figure": "data funnel"},
        ),
        verdicts=report(
            "results/{experiment}/figures/verdicts.png",
            caption="../report/verdicts.rst",
            category="{experiment}",
            labels={"figure": "verdicts"},
        ),
        pass_rate=report(
            "results/{experiment}/figures/pass_rate.png",
            caption="../report/pass_rate.rst",
            category="{experiment}",
            labels={"figure": "pass rate"},
        ),
        scores=report(
            "results/{experiment}/figures/scores.png", caption="../report/scores.rst", category="{experiment}", labels={"figure": "scores"}
        ),
        throughput=report(
            "results/{experiment}/figures/throughput.png",
            caption="../report/throughput.rst",
            category="{experiment}",
            labels={"figure": "throughput"},
        ),
    log:
        "results/{experiment}/logs/figures_selfalign.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    params:
        timings=timing_dirs,
        code=code_version("codealign.report.figures"),
    script:
        "../scripts/figures_selfalign.py"


rule figures_codeocean:
    input:
        stats=upstream("codeocean_gather", rules.codeocean_gather.output.stats),
    output:
        report(
            "results/{experiment}/figures/codeocean.png",
            caption="../report/codeocean.rst",
            category="{experiment}",
            labels={"figure": "codeocean"},
        ),
    log:
        "results/{experiment}/logs/figures_codeocean.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    params:
        code=code_version("codealign.report.figures"),
    script:
        "../scripts/figures_codeocean.py"


rule figures_ablations:
    input:
        unpack(ablation_inputs),
    output:
        report("results/figures/ablations.png", caption="../report/ablations.rst", category="experiments", labels={"figure": "ablations"}),
    log:
        "results/logs/figures_ablations.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    params:
        code=code_version("codealign.report.figures"),
    script:
        "../scripts/figures_ablations.py"


rule report_browser:
    input:
        unpack(browser_inputs),
    output:
        report(
            "results/{experiment}/report/browser.html",
            caption="../report/browser.rst",
            category="{experiment}",
            labels={"figure": "data browser"},
        ),
    log:
        "results/{experiment}/logs/report_browser.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(4000),
        runtime=grow(30),
    params:
        random_seed=section("random_seed"),
        per_group=3,
        code=code_version("codealign.report.browser"),
    script:
        "../scripts/report_browser.py"


rule effective_config:
    output:
        "results/{experiment}/config.json",
    log:
        "results/{experiment}/logs/effective_config.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(1000),
        runtime=grow(10),
    params:
        config=experiment_config,
        configfiles=[os.path.relpath(f) for f in workflow.overwrite_configfiles],
    script:
        "../scripts/effective_config.py"


rule provenance:
    input:
        unpack(provenance_inputs),
    output:
        report(
            "results/{experiment}/provenance.json",
            caption="../report/provenance.rst",
            category="{experiment}",
            labels={"figure": "provenance"},
        ),
    log:
        "results/{experiment}/logs/provenance.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(4000),
        runtime=grow(60),
    params:
        config=experiment_config,
        models=provenance_models,
        code=code_version("codealign.report.provenance"),
    script:
        "../scripts/provenance.py"


rule figures:
    default_target: False
    input:
        figure_targets(),
