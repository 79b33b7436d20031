"""Rule figures_codeocean → codealign.report.figures."""

from codealign import logs
from codealign.report import figures

logs.setup(snakemake.log[0])
figures.plot_codeocean(snakemake.input.stats, snakemake.output[0])
