# Selection: one response per instruction (passing by default), chosen after the paper's filters and
# dedup, near-deduplicated in three MinHash passes and decontaminated, written as the SFT set with
# its dataset card. One candidates job per response shard (only the columns selection needs), then
# one gather that never holds more than the candidates' keys.


rule selection_candidates:
    input:
        instructions=upstream("instruct_instructions_gather", rules.instruct_instructions_gather.output.instructions),
        responses=upstream("responses", rules.responses.output.responses),
        verdicts=upstream("execution", rules.execution.output.verdicts),
    output:
        candidates="results/{experiment}/sft/candidates/shard-{shard}.parquet",
        stats="results/{experiment}/sft/candidates/shard-{shard}.stats.json",
    log:
        "results/{experiment}/logs/selection_candidates/shard-{shard}.log",
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(4000),
        runtime=grow(60),
    params:
        cfg=section("selection"),
        random_seed=section("random_seed"),
        code=code_version("codealign.selfalign.selection"),
    script:
        "../scripts/selection_candidates.py"


rule selection:
    input:
        instructions=upstream("instruct_instructions_gather", rules.instruct_instructions_gather.output.instructions),
        candidates=shard_paths("responses", rules.selection_candidates.output.candidates, stage="selection_candidates"),
        shard_stats=shard_paths("responses", rules.selection_candidates.output.stats, stage="selection_candidates"),
        benchmarks=decontamination_files,
    output:
        dataset="results/{experiment}/sft/dataset.parquet",
        jsonl="results/{experiment}/sft/dataset.jsonl",
        card="results/{experiment}/sft/README.md",
        stats="results/{experiment}/sft/stats.json",
    log:
        "results/{experiment}/logs/selection.log",
    benchmark:
        "results/{experiment}/benchmarks/selection.tsv"
    conda:
        "../envs/codealign.yaml"
    resources:
        mem_mb=grow(12000),
        runtime=grow(120),
    params:
        cfg=section("selection"),
        decontamination=section("seeds.decontamination"),
        benchmark_paths=section("benchmarks"),
        provenance=sft_provenance,
        code=code_version("codealign.selfalign.selection"),
    script:
        "../scripts/selection.py"
