"""Rule figures_ablations → codealign.report.figures."""

from codealign import logs
from codealign.report import figures

logs.setup(snakemake.log[0])
names = sorted({key.rsplit("__", 1)[0] for key in snakemake.input.keys()})
figures.plot_ablations({name: (snakemake.input[f"{name}__sft"], snakemake.input[f"{name}__scores"]) for name in names}, snakemake.output[0])
