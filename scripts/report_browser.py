"""Rule report_browser → codealign.report.browser.write."""

from codealign import logs
from codealign.report import browser

logs.setup(snakemake.log[0])
browser.write(
    snakemake.output[0],
    experiment=snakemake.wildcards.experiment,
    random_seed=snakemake.params.random_seed,
    per_group=snakemake.params.per_group,
    inputs={name: value if isinstance(value, str) else list(value) for name, value in snakemake.input.items()},
)
