"""Rule figures_selfalign → codealign.report."""

from codealign import logs, report

logs.setup(snakemake.log[0])
i = snakemake.input
report.plot_funnel(report.funnel_counts(funnel=i.funnel, judged=i.judged, instructions=i.instructions_stats, responses=i.responses,
                                        execution=i.execution, sft=i.sft), snakemake.output.funnel)
report.plot_verdicts(i.instructions, i.verdicts, snakemake.output.verdicts, snakemake.output.pass_rate)
report.plot_scores({snakemake.wildcards.experiment: i.scores}, snakemake.output.scores)
report.plot_throughput(snakemake.params.benchmarks, snakemake.output.throughput)
