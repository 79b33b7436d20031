"""Rule eval_tasks → codealign.evaluate.stage.TASKS."""

from codealign.evaluate import stage

stage.TASKS.from_snakemake(snakemake)
