"""Rule model_prepare → codealign.generation.models."""

from codealign.generation import models

models.run(source=snakemake.params.source, out_dir=snakemake.output[0], log_file=snakemake.log[0])
