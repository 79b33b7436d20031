"""The Hugging Face dataset card (README.md) written next to each recipe's SFT set."""

from __future__ import annotations

import yaml

from codealign.records import SFTExample, docs
from codealign.stats import Stats

# The config sections that shape each recipe's SFT set, recorded in its dataset card.
SELFALIGN_SECTIONS = ("random_seed", "models", "generation", "seeds", "instruct", "responses", "execution", "selection")
CODEOCEAN_SECTIONS = ("random_seed", "models", "generation", "codeocean", "execution")


def selfalign_provenance(effective: dict, wildcards: dict[str, str]) -> dict:
    """What the SelfCodeAlign SFT set's card records of the config (the rule and ``python -m`` alike)."""
    return {"experiment": wildcards["experiment"], **{k: effective[k] for k in SELFALIGN_SECTIONS}}


def codeocean_provenance(effective: dict, wildcards: dict[str, str]) -> dict:
    """What the CodeOcean SFT set's card records of the config (the rule and ``python -m`` alike)."""
    return {"experiment": wildcards["experiment"], **{k: effective[k] for k in CODEOCEAN_SECTIONS}}


def render(*, title: str, description: str, counts: list[str], unit: str, tags: list[str], stats: Stats, provenance: dict) -> str:
    """Front matter for ``datasets``, a description, the counts, drops by reason, the columns and the config."""
    d = stats.to_dict()
    drops = "\n".join(f"| {reason} | {n} |" for reason, n in d["dropped"].items()) or "| (none) | 0 |"
    columns = "\n".join(f"| `{name}` | {doc} |" for name, doc in docs(SFTExample).items())
    front = {
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": "dataset.parquet"}]}],
        "task_categories": ["text-generation"],
        "tags": ["code", *tags, "codealign"],
    }
    return (
        "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\n"
        f"# {title} — experiment `{provenance.get('experiment', '?')}`\n\n{description}\n\n"
        '```python\nimport datasets\nds = datasets.load_dataset("parquet", data_files="dataset.parquet", split="train")\n```\n\n'
        "## Counts\n\n" + "".join(f"- {line}\n" for line in counts) + "\n"
        f"| dropped because | {unit} |\n|---|---|\n" + drops + "\n\n"
        "## Columns\n\n| column | meaning |\n|---|---|\n" + columns + "\n\n"
        "## The config that made it\n\n```yaml\n" + yaml.safe_dump(provenance, sort_keys=True) + "```\n"
    )
