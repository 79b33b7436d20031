"""Rule figures_codeocean → codealign.report."""

from codealign import logs, report

logs.setup(snakemake.log[0])
report.plot_codeocean(snakemake.input.stats, snakemake.output[0])
