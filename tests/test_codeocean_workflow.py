"""The CodeOcean recipe as Snakemake rules in a temp dir with the real models: stdlib Python and npm's
JavaScript → MiniLM embeddings → KCenterGreedy → Gemma 3 270M generator and discriminator on vLLM
(two batches, so the pools feed the second) → sandbox signal → SFT set; then a forced rerun of the
shard comes out identical from the request cache."""

import pytest
from conftest import Workflow, base_overlay

from codealign import io
from codealign.codeocean import tasks

pytestmark = pytest.mark.e2e


def test_the_codeocean_dag_with_gemma(tmp_path, gemma_model, vllm_python, benchmarks_available):
    wf = Workflow(tmp_path / "run")
    wf.workdir.mkdir()
    config = wf.write_config(
        {
            **base_overlay(),
            "models": {"base": str(gemma_model)},
            "codeocean": {
                "corpus": {"sources": [{"kind": "python", "max_items": 60}, {"kind": "javascript", "max_items": 30}]},
                "coreset": {"k": 6},
                "generate": {"backend": "vllm", "batch_size": 3, "max_new_tokens": 160},
                "discriminate": {"backend": "vllm", "max_new_tokens": 16},
            },
        }
    )
    wf.run("results/default/codeocean/sft/dataset.parquet", config=config)

    raw = io.read_json(wf.path("results/default/codeocean/raw.stats.json"))
    assert raw["languages"] == {"javascript": 30, "python": 60} and raw["in"] == raw["out"] + sum(raw["dropped"].values())
    picks = io.read_rows(wf.path("results/default/codeocean/coreset.parquet"))
    assert [p["rank"] for p in picks] == list(range(6)) and len({p["raw_id"] for p in picks}) == 6
    radii = [p["radius"] for p in picks]
    assert radii == sorted(radii, reverse=True) and 0 < radii[-1] <= 2.0  # unit vectors: distances are at most 2

    stats = io.read_json(wf.path("results/default/codeocean/items.stats.json"))
    assert stats["in"] == 6 and stats["in"] == stats["out"] + sum(stats["dropped"].values())
    assert sum(stats["planned_tasks"].values()) == 6 and stats["generation"]["generated"] > 6  # generator + checklist requests
    items = io.read_rows(wf.path("results/default/codeocean/items.parquet"))
    assert len(items) == stats["generated"] == 6 - sum(n for r, n in stats["dropped"].items() if r != "rejected_by_discriminator")
    assert {i["batch"] for i in items} <= {0, 1} and sum(i["accepted"] for i in items) == stats["out"]
    for item in items:
        keys = [c.split(":")[0] for c in item["checklist"]]
        assert keys == [k for k, _ in tasks.CHECKLIST[item["task"]]]
        assert item["accepted"] == all(c.endswith(": yes") for c in item["checklist"])
        assert (
            item["executes"] != "not_run"
            if item["task"] in tasks.CODE_TASKS and item["target_language"] == "python"
            else item["executes"] == "not_run"
        )
    rejected = io.read_jsonl(wf.path("results/default/codeocean/items/shard-0.rejected.jsonl"))
    assert len(rejected) == 6 - len(items)

    sft = io.read_rows(wf.path("results/default/codeocean/sft/dataset.parquet"))
    assert len(sft) == io.read_json(wf.path("results/default/codeocean/sft/stats.json"))["out"] <= stats["out"]
    assert all(r["source"] == "codeocean" and r["task"] in tasks.TASKS for r in sft)

    wf.run("results/default/codeocean/items.parquet", "--forcerun", "codeocean_generate", config=config)
    again = io.read_json(wf.path("results/default/codeocean/items.stats.json"))
    assert again["generation"]["generated"] == 0 and again["generation"]["cached"] == stats["generation"]["requests"]
    assert io.read_rows(wf.path("results/default/codeocean/items.parquet")) == items
