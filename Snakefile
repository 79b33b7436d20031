# codealign — self-alignment of a code LLM (SelfCodeAlign) as a reproducible workflow.
# Each stage lives in rules/<stage>.smk; its logic in src/codealign/; its entry point in scripts/.

import os

from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config.yaml")


include: "rules/common.smk"
include: "rules/models.smk"
include: "rules/seeds.smk"
include: "rules/instruct.smk"


rule all:
    input:
        final_targets(),
    default_target: True
