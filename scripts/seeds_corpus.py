"""Rule seeds_corpus → codealign.seeds.corpus."""

from codealign.seeds import corpus

corpus.run(out=snakemake.output.docs, stats_path=snakemake.output.stats, cfg=snakemake.params.cfg, log_file=snakemake.log[0])
