"""Rule figures_selfalign → codealign.report.figures."""

from codealign import logs
from codealign.report import figures

logs.setup(snakemake.log[0])
i = snakemake.input
figures.plot_funnel(
    figures.funnel_counts(
        funnel=i.funnel, judged=i.judged, instructions=i.instructions_stats, responses=i.responses, execution=i.execution, sft=i.sft
    ),
    snakemake.output.funnel,
)
figures.plot_verdicts(i.instructions, i.verdicts, snakemake.output.verdicts, snakemake.output.pass_rate)
figures.plot_scores({snakemake.wildcards.experiment: i.scores}, snakemake.output.scores)
figures.plot_throughput(snakemake.params.timings, snakemake.output.throughput)
