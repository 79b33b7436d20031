"""Rule figures_ablations → codealign.report."""

from codealign import logs, report

logs.setup(snakemake.log[0])
names = sorted({key.rsplit("__", 1)[0] for key in snakemake.input.keys()})
report.plot_ablations({name: (snakemake.input[f"{name}__sft"], snakemake.input[f"{name}__scores"]) for name in names}, snakemake.output[0])
