# Selection: one response per instruction (passing by default), chosen after the paper's filters and
# dedup, near-deduplicated in three MinHash passes and decontaminated,
# written as the SFT set with its dataset card.


rule sft:
    input:
        instructions=upstream("instruct_instructions_gather", "results/{experiment}/instruct/instructions.parquet"),
        responses=upstream("responses_gather", "results/{experiment}/responses.parquet"),
        verdicts=upstream("execution_gather", "results/{experiment}/execution.parquet"),
        benchmarks=decontamination_files,
    output:
        dataset="results/{experiment}/sft/dataset.parquet",
        jsonl="results/{experiment}/sft/dataset.jsonl",
        card="results/{experiment}/sft/README.md",
        stats="results/{experiment}/sft/stats.json",
    params:
        cfg=section("selection"),
        decontamination=section("seeds.decontamination"),
        benchmarks=section("benchmarks"),
        random_seed=section("random_seed"),
        provenance=sft_provenance,
        code=code_version("codealign.selfalign.select"),
    resources:
        mem_mb=grow(12000),
        runtime=grow(120),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/sft.log",
    script:
        "../scripts/sft.py"
