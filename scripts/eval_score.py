"""Rule eval_score → codealign.evaluate.stage.SCORE."""

from codealign.evaluate import stage

stage.SCORE.from_snakemake(snakemake)
