"""Rule responses_gather → codealign.selfalign.llmstage.gather."""

from codealign import logs
from codealign.records import Response, schema
from codealign.selfalign import llmstage

logs.setup(snakemake.log[0])
shards = [p for p in snakemake.input if p.endswith(".parquet")]
stats = llmstage.gather(stage="responses", shards=shards, shard_stats=[p.replace(".parquet", ".stats.json") for p in shards],
                        out=snakemake.output.responses, schema=schema(Response))
stats.save(snakemake.output.stats)
