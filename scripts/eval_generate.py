"""Rule eval_generate → codealign.evaluate.stage.GENERATE."""

from codealign.evaluate import stage

stage.GENERATE.from_snakemake(snakemake)
