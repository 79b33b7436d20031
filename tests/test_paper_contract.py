"""config/paper.yaml runs the published recipe: its effective config, merged by Snakemake itself,
is checked against every row of PAPER.md, and every behaviour row is exercised for real."""

from __future__ import annotations

import math
import os
import re
import shutil

import pytest
import yaml
from conftest import BENCHMARK_DIR, REPO, Workflow

from codealign import config as cfglib
from codealign import io
from codealign.algorithms.decontamination import benchmark_names, build
from codealign.evaluate import stage
from codealign.generation.prompts import load_bank
from codealign.seeds import judge
from codealign.selfalign import selection
from codealign.stats import Stats
from codealign.train import stage as train

FIXTURES = REPO / "tests" / "data" / "benchmarks"


def contract_rows() -> list[dict]:
    rows = []
    for line in (REPO / "PAPER.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("id", "---") or not line.startswith("|"):
            continue
        rows.append(dict(zip(("id", "setting", "key", "value", "source"), cells)))
    return rows


def workdir_with_benchmarks(root):
    """A run directory where every benchmark file the configs name exists: the shared EvalPlus
    files where config.yaml looks for them, fixtures in the published layouts elsewhere."""
    run = root / "run"
    (root / "shared" / "data").mkdir(parents=True)
    os.symlink(BENCHMARK_DIR, root / "shared" / "data" / "benchmarks")
    shutil.copytree(FIXTURES, run / "data" / "benchmarks")
    os.symlink(REPO / ".venv-vllm", run / ".venv-vllm")
    return run


def snakemake_config(tmp_path, configfile):
    """The default experiment's effective config, as `snakemake --configfile` merges and validates it."""
    run = workdir_with_benchmarks(tmp_path)
    wf = Workflow(run)
    args = ["results/default/config.json"] + (["--configfile", str(configfile)] if configfile else [])
    wf.run(*args)
    return io.read_json(run / "results/default/config.json"), run


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    return snakemake_config(tmp_path_factory.mktemp("paper"), REPO / "config" / "paper.yaml")


def lookup(cfg: dict, key: str):
    if key.startswith("profile."):
        return train.resolve_profile(cfg["train"])[key.removeprefix("profile.")]
    node = cfg
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", key):
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    return node


@pytest.mark.parametrize("row", [r for r in contract_rows() if r["key"] != "—"], ids=lambda r: r["id"])
def test_a_published_setting_is_the_effective_paper_value(paper, row):
    cfg, _ = paper
    expected = yaml.safe_load(row["value"].strip("`"))
    assert lookup(cfg["config"], row["key"].strip("`")) == expected, row["setting"]


def behaviour_decontam_sets(cfg, run, tmp_path, tiny_model):
    decontamination = cfg["seeds"]["decontamination"]
    names = benchmark_names(decontamination, cfg["benchmarks"])
    assert {"humaneval", "mbpp", "ds1000"} <= set(names)
    os.chdir(run)
    checker = build(decontamination, cfg["benchmarks"])
    searched = {p.benchmark for p in checker.patterns}
    assert {"humaneval", "mbpp", "ds1000", "gsm8k"} <= searched
    assert {p.task_id for p in checker.patterns if p.benchmark == "mbpp"} == {"11"}  # the 500 test tasks only


def behaviour_judge_greedy(cfg, run, tmp_path, tiny_model):
    seed = {"code": "def f(x):\n    'Double.'\n    return 2 * x\n", "name": "f", "docstring": "Double."}
    requests = judge.requests_for(seed, 0, cfg["seeds"]["judge"], cfg["random_seed"])
    assert requests and all(r.sampling.temperature == 0.0 and r.sampling.n == 1 for r in requests)
    assert requests[0].prompt.count("### Answer") == cfg["seeds"]["judge"]["k"] + 1


def behaviour_bank(cfg, run, tmp_path, tiny_model):
    assert len(load_bank(cfg["instruct"]["fewshot_bank"])) >= 21


def behaviour_sel_order(cfg, run, tmp_path, tiny_model):
    inst = {
        "instruction_id": "i0",
        "seed_id": "s0",
        "instruction": "Write `double(x)`.",
        "category": "function implementation",
        "difficulty": "easy",
        "concepts": [],
    }
    other = {**inst, "instruction_id": "i1", "instruction": "Write `triple(x)`."}
    kept_response = {
        "response_id": "r1",
        "instruction_id": "i1",
        "sample": 0,
        "implementation": "def triple(x):\n    return 3 * x\n",
        "tests": "assert triple(1) == 3\n",
    }
    repeat = {**kept_response, "response_id": "r0", "instruction_id": "i0"}  # the same response text as i1's
    fresh = {
        "response_id": "r2",
        "instruction_id": "i0",
        "sample": 1,
        "implementation": "def double(x):\n    return x * 2\n",
        "tests": "assert double(2) == 4\n",
    }
    pool = [
        selection.candidate(other, kept_response, "triple: " + kept_response["implementation"], cfg["selection"]),
        selection.candidate(inst, repeat, "triple: " + kept_response["implementation"], cfg["selection"]),
        selection.candidate(inst, fresh, "double: " + fresh["implementation"], cfg["selection"]),
    ]
    stats = Stats("selection", unit_in="responses", n_in=3)
    kept = selection.exact_pass(pool, cfg["selection"], stats)
    assert [c["response_id"] for c in kept] == ["r1", "r2"] and stats.dropped == {"duplicate_response": 1}


def _paper_trainer(cfg, tmp_path, tiny_model, n_examples=40):
    examples = [
        {"instruction": f"Write add{i}.", "response": f"```python\ndef add{i}(a, b):\n    return a + b\n```\n"} for i in range(n_examples)
    ]
    profile = {**train.resolve_profile(cfg["train"]), "per_device_batch": 1, "effective_batch": 4}
    trainer, tokenizer = train.build_trainer(
        examples, base_model=str(tiny_model), profile=profile, work_dir=str(tmp_path / "w"), template=cfg["train"]["template"], seed=0
    )
    return trainer, tokenizer, profile


def behaviour_sft_warmup(cfg, run, tmp_path, tiny_model):
    trainer, _, profile = _paper_trainer(cfg, tmp_path, tiny_model)
    total = 200
    assert trainer.args.get_warmup_steps(total) == math.ceil(0.05 * total)
    trainer.create_optimizer_and_scheduler(num_training_steps=total)
    lrs = [trainer.lr_scheduler.lr_lambdas[0](step) for step in (0, 5, 10, 100, 200)]
    assert lrs[0] == 0.0 and 0 < lrs[1] < 1 and lrs[2] == 1.0 and 0.5 < lrs[3] < 0.6 and lrs[4] == 0.0
    assert trainer.args.max_grad_norm == 0.0 and trainer.args.optim.value == "adafactor"
    dropouts = {k: v for k, v in vars(trainer.model.config).items() if "dropout" in k and isinstance(v, float)}
    assert dropouts and set(dropouts.values()) == {0.0}


def behaviour_sft_loss(cfg, run, tmp_path, tiny_model):
    trainer, tokenizer, _ = _paper_trainer(cfg, tmp_path, tiny_model, 2)
    row = trainer.train_dataset[0]
    ids, mask = row["input_ids"], [label != -100 for label in row["labels"]]
    prompt = tokenizer.decode([i for i, m in zip(ids, mask) if not m])
    completion = tokenizer.decode([i for i, m in zip(ids, mask) if m])
    assert "### Instruction" in prompt and "exceptionally intelligent" in prompt and "def add" not in prompt
    assert "def add" in completion and "### Instruction" not in completion


def behaviour_sft_bos_eos(cfg, run, tmp_path, tiny_model):
    trainer, tokenizer, _ = _paper_trainer(cfg, tmp_path, tiny_model, 2)
    ids = trainer.train_dataset[0]["input_ids"]
    assert ids[0] == tokenizer.bos_token_id and ids.count(tokenizer.bos_token_id) == 1
    assert ids[-1] == tokenizer.eos_token_id


def behaviour_eval_full(cfg, run, tmp_path, tiny_model):
    os.chdir(run)
    counts = {
        b: stage.write_tasks(benchmark=b, path=cfg["benchmarks"][b], cfg=cfg["eval"], out=str(tmp_path / f"{b}.jsonl.gz"))
        for b in ("humanevalplus", "mbppplus")
    }
    assert counts == {"humanevalplus": 164, "mbppplus": 378}


def behaviour_eval_greedy(cfg, run, tmp_path, tiny_model):
    sampling = stage.eval_sampling(cfg["eval"], 0)
    assert sampling.temperature == 0.0 and sampling.n == 1


BEHAVIOURS = {name.removeprefix("behaviour_"): fn for name, fn in globals().items() if name.startswith("behaviour_")}


@pytest.mark.parametrize("row", [r for r in contract_rows() if r["key"] == "—"], ids=lambda r: r["id"])
def test_a_published_behaviour_holds_under_the_paper_config(paper, row, tmp_path, request, monkeypatch):
    assert row["id"] in BEHAVIOURS, f"PAPER.md row {row['id']!r} has no check in this file"
    monkeypatch.chdir(tmp_path)
    cfg, run = paper
    BEHAVIOURS[row["id"]](cfg["config"], run, tmp_path, request.getfixturevalue("tiny_model"))


def test_every_behaviour_check_has_its_row():
    assert set(BEHAVIOURS) == {r["id"] for r in contract_rows() if r["key"] == "—"}


def test_the_paper_run_records_which_config_files_made_it(paper):
    cfg, _ = paper
    assert [os.path.basename(f) for f in cfg["configfiles"]] == ["paper.yaml"]


# --- every overlay, merged as Snakemake merges it ------------------------------------------------

OVERLAYS = {
    None: {
        "eval.subset": {"humanevalplus": {"first": 20}, "mbppplus": {"first": 20}},
        "train.mix": {"selfalign": 1.0, "codeocean": 1.0},
        "instruct.instructions.stop_at_blank_line": True,
        "train.profile": "cpu-lora",
        "selection.mode": "partial",
        "execution.per_assert": True,
    },
    "paper.yaml": {
        "selection.mode": "passing",
        "execution.per_assert": False,
        "eval.subset": {},
        "train.mix": {"selfalign": 1.0, "codeocean": 0.0},
        "responses.k": 1,
        "selection.dedup.near.num_perm": 250,
        "instruct.instructions.stop_at_blank_line": False,
    },
    "vllm-cpu.yaml": {
        "generation.backend": "vllm",
        "generation.vllm.max_model_len": 4096,
        "eval.subset": {"humanevalplus": {"first": 20}, "mbppplus": {"first": 20}},
    },
    "ablations.yaml": {"selection.mode": "passing", "eval.subset": {"humanevalplus": {"first": 20}, "mbppplus": {"first": 20}}},
}


def test_every_config_file_is_listed_here():
    assert {p.name for p in (REPO / "config").glob("*.yaml")} == {k for k in OVERLAYS if k}


@pytest.mark.parametrize("name", list(OVERLAYS), ids=lambda n: n or "config.yaml")
def test_each_config_file_merges_as_documented(name, tmp_path):
    cfg, _ = snakemake_config(tmp_path, REPO / "config" / name if name else None)
    for key, value in OVERLAYS[name].items():
        assert cfglib.get(cfg["config"], key) == value, key
