"""Rule seeds_judge_gather → codealign.seeds.judge."""

from codealign.seeds import judge

judge.GATHER.from_snakemake(snakemake)
