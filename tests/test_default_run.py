"""The whole embedded default, as `make run` runs it (about 25 minutes on 2 cores): marked slow,
so `make test` leaves it out; run it with `pytest -m slow tests/test_default_run.py`."""

import pytest
from conftest import Workflow, base_overlay

from codealign import io

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_the_whole_default_dag_trains_on_a_non_empty_set_and_scores_both_models(tmp_path, benchmarks_available):
    wf = Workflow(tmp_path / "run")
    wf.workdir.mkdir()
    config = wf.write_config(base_overlay(backend=None))  # the embedded default; only the data and vllm paths made absolute
    wf.run(config=config, timeout=3 * 3600)

    sft = io.read_rows(wf.path("results/default/sft/dataset.parquet"))
    assert sft, "the default SFT set is empty"
    # selection.mode partial (the default's): passed, or passed at least one of its own asserts alone
    assert all(row["verdict"] == "pass" or row["verdict"].startswith("partial ") for row in sft)

    import torch
    from transformers import AutoModelForCausalLM

    tuned = AutoModelForCausalLM.from_pretrained(wf.path("results/default/train/checkpoint"), dtype=torch.float32)
    base = AutoModelForCausalLM.from_pretrained(wf.path("results/models/base"), dtype=torch.float32)
    changed = [name for (name, a), (_, b) in zip(tuned.named_parameters(), base.named_parameters()) if not torch.equal(a, b)]
    assert changed, "the checkpoint's weights equal the base model's"

    scores = io.read_json(wf.path("results/default/eval/scores.json"))["scores"]
    assert {(s["benchmark"], s["model"]) for s in scores} == {(b, m) for b in ("humanevalplus", "mbppplus") for m in ("base", "tuned")}
    assert all(s["tasks"] > 0 and s["pass@1"] is not None for s in scores)
    assert wf.path("results/default/report/browser.html").exists()
