"""Rule responses_gather → codealign.shards."""

from codealign import logs
from codealign.shards import gather
from codealign.records import Response, schema

logs.setup(snakemake.log[0])
stats = gather(stage="responses", shards=list(snakemake.input.shards), shard_stats=list(snakemake.input.stats),
               out=snakemake.output.responses, schema=schema(Response))
stats.save(snakemake.output.stats)
