"""Rule seeds_corpus → codealign.seeds.corpus."""

from codealign.seeds import corpus

corpus.run(out=snakemake.output.manifest, cfg=snakemake.params.cfg, log_file=snakemake.log[0])
