"""Rule train → codealign.train."""

from codealign import train

sft = {recipe: path for recipe, path in snakemake.input.items() if recipe in ("selfalign", "codeocean")}
train.train(
    sft_paths=sft,
    base_model=snakemake.input.get("model", snakemake.params.models[snakemake.params.cfg["model"]]),
    out_dir=snakemake.output.checkpoint,
    work_dir=snakemake.params.work,
    log_path=snakemake.output.log,
    curve_path=snakemake.output.curve,
    cfg=snakemake.params.cfg,
    seed=snakemake.params.random_seed,
    threads=snakemake.threads,
    log_file=snakemake.log[0],
)
