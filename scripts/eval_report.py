"""Rule eval_report → codealign.evaluate.stage.REPORT."""

from codealign.evaluate import stage

stage.REPORT.from_snakemake(snakemake)
