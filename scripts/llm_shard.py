"""Rules seeds_judge, instruct_concepts, instruct_instructions, responses and codeocean_generate (one
LLM shard each; the last four are `use rule seeds_judge as ... with:`) → the entry of the stage the
rule is named after."""

from codealign.codeocean import generate
from codealign.seeds import judge
from codealign.selfalign import instruct, responses

ENTRIES = {
    "seeds_judge": judge.SHARD,
    "instruct_concepts": instruct.CONCEPTS,
    "instruct_instructions": instruct.INSTRUCTIONS,
    "responses": responses.SHARD,
    "codeocean_generate": generate.SHARD,
}
ENTRIES[snakemake.rule].from_snakemake(snakemake)
