"""Rule eval_report → codealign.evaluate.stage.report."""

from codealign.evaluate import stage

scores = {}
for name, path in snakemake.input.items():
    if "__" in name:
        benchmark, model = name.split("__")
        scores.setdefault(benchmark, {})[model] = path
stage.report(
    scores=scores,
    training_log=snakemake.input.get("training_log"),
    out_json=snakemake.output.json,
    out_csv=snakemake.output.csv,
    out_png=snakemake.output.chart,
    log_file=snakemake.log[0],
)
