# codealign — self-alignment of a code LLM (SelfCodeAlign) and WaveCoder-style CodeOcean data,
# as a reproducible workflow.
# Each stage lives in rules/<stage>.smk; its logic in src/codealign/; its entry point in scripts/.

import os

from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config.yaml")


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/models.smk"
include: "rules/seeds.smk"
include: "rules/instruct.smk"
include: "rules/responses.smk"
include: "rules/execution.smk"
include: "rules/selection.smk"
include: "rules/codeocean.smk"
include: "rules/train.smk"
include: "rules/eval.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        final_targets(),
