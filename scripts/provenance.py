"""Rule provenance → codealign.report.provenance.write_provenance."""

import os

from codealign import logs
from codealign.report import provenance

logs.setup(snakemake.log[0])
provenance.write_provenance(
    snakemake.output[0],
    experiment=snakemake.wildcards.experiment,
    config=snakemake.params.config,
    basedir=snakemake.scriptdir,
    workdir=os.getcwd(),
    model_paths=snakemake.params.models,
    inputs=dict(snakemake.input.items()),
)
