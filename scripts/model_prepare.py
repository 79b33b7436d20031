"""Rule model_prepare → codealign.generation.models.run."""

from codealign.generation import models

models.ENTRY.from_snakemake(snakemake)
