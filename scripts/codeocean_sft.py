"""Rule codeocean_sft → codealign.codeocean.sft."""

from codealign.codeocean import sft

sft.run(items_path=snakemake.input.judged, items_stats=snakemake.input.judged_stats, out=snakemake.output.dataset,
        jsonl=snakemake.output.jsonl, card=snakemake.output.card, stats_path=snakemake.output.stats,
        decontamination=snakemake.params.decontamination, benchmark_paths=snakemake.params.benchmarks,
        provenance=snakemake.params.provenance, log_file=snakemake.log[0])
