"""Training with TRL on a tiny random model: the loss falls, prompts carry no loss, checkpoints load."""

import json

import pytest

from codealign import io
from codealign.records import SFTExample, schema, to_row
from codealign.train import stage as train

TEMPLATE = {"instruction": "### Instruction\n", "response": "### Response\n"}
PROFILE = {
    **train.PROFILES["cpu-lora"],
    "method": "full",
    "optimizer": "adamw_torch",
    "learning_rate": 5e-3,
    "epochs": 30,
    "per_device_batch": 4,
    "effective_batch": 4,
    "warmup_ratio": 0.0,
    "scheduler": "constant",
    "max_length": 128,
    "save_steps": 1000,
}


def examples(n=4):
    return [
        {"instruction": f"Write add{i}.", "response": f"## Implementation\n```python\ndef add{i}(a, b):\n    return a + b\n```\n"}
        for i in range(n)
    ]


def cfg(**profile):
    return {
        "profile": "test",
        "profiles": {"test": {**PROFILE, **profile}},
        "overrides": {},
        "mix": {"selfalign": 1.0, "codeocean": 0.0},
        "min_examples": 1,
        "template": TEMPLATE,
        "model": "base",
    }


def sft_file(tmp_path, rows):
    path = tmp_path / "sft.parquet"
    full = [
        to_row(
            SFTExample(
                f"e{i}",
                r["instruction"],
                r["response"],
                "s",
                "i",
                "r",
                [],
                "function implementation",
                "easy",
                0,
                "pass",
                "m",
                "selfalign",
                "code generation",
            )
        )
        for i, r in enumerate(rows)
    ]
    io.write_rows(path, full, schema(SFTExample))
    return str(path)


def test_prompt_tokens_carry_no_loss(tiny_model, tmp_path):
    trainer, tokenizer = train.build_trainer(
        examples(2), base_model=str(tiny_model), profile=PROFILE, work_dir=str(tmp_path / "w"), template=TEMPLATE, seed=0
    )
    batch = next(iter(trainer.get_train_dataloader()))
    for ids, labels in zip(batch["input_ids"], batch["labels"]):
        text = tokenizer.decode(ids[labels != -100])
        masked = tokenizer.decode(ids[(labels == -100) & (ids != tokenizer.pad_token_id)])
        assert "### Instruction" in masked and "Write add" in masked and "### Response" in masked
        assert "def add" in text and "### Instruction" not in text
        assert (labels != -100).sum() > 0


def test_loss_goes_down_and_the_checkpoint_loads(tiny_model, tmp_path):
    out = tmp_path / "checkpoint"
    record = train.train(
        selfalign=sft_file(tmp_path, examples()),
        model=str(tiny_model),
        out_dir=str(out),
        work_dir=str(tmp_path / "work"),
        log_path=str(tmp_path / "log.json"),
        curve_path=str(tmp_path / "loss.png"),
        cfg=cfg(),
        random_seed=0,
    )
    losses = [h["loss"] for h in record["log_history"] if "loss" in h]
    assert record["status"] == "trained" and len(losses) == 30
    assert losses[-1] < 0.5 * losses[0]
    from transformers import AutoModelForCausalLM, AutoTokenizer

    AutoModelForCausalLM.from_pretrained(out)
    AutoTokenizer.from_pretrained(out)
    assert (out / "generation_config.json").exists() and json.loads((out / "codealign_training.json").read_text())["status"] == "trained"
    assert (tmp_path / "loss.png").read_bytes().startswith(b"\x89PNG")


def test_lora_adapters_are_merged_into_a_plain_checkpoint(tiny_model, tmp_path):
    out = tmp_path / "checkpoint"
    train.train(
        selfalign=sft_file(tmp_path, examples()),
        model=str(tiny_model),
        out_dir=str(out),
        work_dir=str(tmp_path / "work"),
        log_path=str(tmp_path / "log.json"),
        curve_path=str(tmp_path / "loss.png"),
        cfg=cfg(method="lora", epochs=3, learning_rate=1e-2),
        random_seed=0,
    )
    assert not (out / "adapter_config.json").exists()
    from transformers import AutoModelForCausalLM

    tuned = AutoModelForCausalLM.from_pretrained(out)
    base = AutoModelForCausalLM.from_pretrained(tiny_model)
    changed = [n for (n, a), (_, b) in zip(tuned.named_parameters(), base.named_parameters()) if not (a == b).all()]
    assert changed, "merging LoRA adapters changed no weight"


def test_an_interrupted_training_resumes_from_its_last_checkpoint(tiny_model, tmp_path):
    work = tmp_path / "work"
    first, _ = train.build_trainer(
        examples(),
        base_model=str(tiny_model),
        profile={**PROFILE, "epochs": 2, "save_steps": 1},
        work_dir=str(work),
        template=TEMPLATE,
        seed=0,
    )
    first.args.max_steps = 1  # "killed" after one step, which left checkpoint-1 behind
    first.train()
    assert (work / "checkpoint-1").exists()
    record = train.train(
        selfalign=sft_file(tmp_path, examples()),
        model=str(tiny_model),
        out_dir=str(tmp_path / "ckpt"),
        work_dir=str(work),
        log_path=str(tmp_path / "log.json"),
        curve_path=str(tmp_path / "loss.png"),
        cfg=cfg(epochs=2, save_steps=1),
        random_seed=0,
    )
    assert record["resumed"] is True and record["steps"] == 2
    assert [h["step"] for h in record["log_history"] if "loss" in h] == [1, 2]  # step 1 restored with the checkpoint


def test_an_empty_sft_set_gives_an_explicit_untrained_checkpoint(tiny_model, tmp_path):
    out = tmp_path / "checkpoint"
    record = train.train(
        selfalign=sft_file(tmp_path, []),
        model=str(tiny_model),
        out_dir=str(out),
        work_dir=str(tmp_path / "work"),
        log_path=str(tmp_path / "log.json"),
        curve_path=str(tmp_path / "loss.png"),
        cfg=cfg(),
        random_seed=0,
    )
    assert record["status"] == "untrained" and "0 SFT examples" in record["reason"]
    assert io.read_json(tmp_path / "log.json")["status"] == "untrained"
    assert (out / "config.json").read_text() == (tiny_model / "config.json").read_text()


def test_mixing_weights_repeat_and_sample_sets(tmp_path):
    a = sft_file(tmp_path / "a" if (tmp_path / "a").mkdir() is None else tmp_path, examples(4))
    b_dir = tmp_path / "b"
    b_dir.mkdir()
    b = sft_file(b_dir, examples(10))
    mixed = train.mixed_examples({"selfalign": a, "codeocean": b}, {"selfalign": 2, "codeocean": 0.5}, seed=1)
    assert len(mixed) == 2 * 4 + 5
    assert len(train.mixed_examples({"selfalign": a, "codeocean": b}, {"selfalign": 1, "codeocean": 0}, seed=1)) == 4


def test_qlora_is_refused_without_a_gpu():
    with pytest.raises(train.TrainingUnavailable, match="needs a CUDA GPU"):
        train.check_method("qlora")


def test_the_paper_profile_is_the_published_one():
    paper = train.resolve_profile({"profile": "paper", "profiles": {}, "overrides": {}})
    assert paper["method"] == "full" and paper["optimizer"] == "adafactor" and paper["learning_rate"] == 1e-5
    assert paper["epochs"] == 4 and paper["effective_batch"] == 64 and paper["warmup_ratio"] == 0.05
    assert paper["scheduler"] == "linear" and paper["max_length"] == 1280 and paper["packing"] is False
