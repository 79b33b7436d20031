# Selection: one response per instruction (passing by default), chosen after the paper's filters and
# dedup, near-deduplicated in three MinHash passes and decontaminated, written as the SFT set with
# its dataset card. One candidates job per response shard (only the columns selection needs), then
# one gather that never holds more than the candidates' keys.


rule sft_candidates:
    input:
        instructions=upstream("instruct_instructions_gather", "results/{experiment}/instruct/instructions.parquet"),
        responses=upstream("responses", "results/{experiment}/responses/shard-{shard}.parquet"),
        verdicts=upstream("execution", "results/{experiment}/execution/shard-{shard}.parquet"),
    output:
        candidates="results/{experiment}/sft/candidates/shard-{shard}.parquet",
        stats="results/{experiment}/sft/candidates/shard-{shard}.stats.json",
    params:
        cfg=section("selection"),
        random_seed=section("random_seed"),
        code=code_version("codealign.selfalign.select"),
    resources:
        mem_mb=grow(4000),
        runtime=grow(60),
    conda:
        "../envs/codealign.yaml"
    log:
        "results/{experiment}/logs/sft_candidates/shard-{shard}.log",
    script:
        "../scripts/sft_candidates.py"


rule sft:
    input:
        instructions=upstream("instruct_instructions_gather", "results/{experiment}/instruct/instructions.parquet"),
        candidates=shard_paths("responses", "results/{experiment}/sft/candidates/shard-{shard}.parquet", stage="sft_candidates"),
        stats=shard_paths("responses", "results/{experiment}/sft/candidates/shard-{shard}.stats.json", stage="sft_candidates"),
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
