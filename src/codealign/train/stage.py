"""Fine-tuning with TRL's SFTTrainer: full, LoRA or QLoRA, loss on the response only.

Every example becomes a prompt–completion pair, the prompt being BOS, the template's system line
and the instruction between its ``### Instruction`` / ``### Response`` headers (the paper's
template), and the completion the response plus the end-of-sequence token, so TRL masks the
prompt tokens out of the loss.

Hyperparameters come from a named profile (``train.profile``): ``paper`` is the published one
(full fine-tune, Adafactor, lr 1e-5, 4 epochs, effective batch 64, warmup 0.05, linear schedule,
max length 1280, no packing, no gradient clipping, dropout 0); ``cpu-lora`` is the embedded default, a short LoRA run that fits
two CPU cores. The checkpoint is a normal Hugging Face folder (LoRA adapters merged) with its
tokenizer and generation config; the training log and a loss curve sit beside it. Intermediate
checkpoints go to a work folder, so an interrupted training resumes from its last one.

An empty SFT set is not an error to hide: the checkpoint is then the base model, unchanged, and
the training log says so (``status: untrained``), as does the scores table downstream.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import shutil
import time
from pathlib import Path

from codealign import cli, io, plots
from codealign.generation.models import TRAINING_RECORD
from codealign.generation.prompts import instruction_prompt_of

log = logging.getLogger("codealign.train.stage")


class TrainingUnavailable(RuntimeError):
    pass


def bos_prefix(tokenizer, template: dict) -> str:
    """The text to put before every prompt so that it starts with exactly one BOS token: the BOS
    token itself when the template asks for it and the tokenizer does not add it on its own."""
    if not template.get("bos", True) or tokenizer.bos_token is None:
        return ""
    ids = tokenizer("x")["input_ids"]
    return "" if ids[:1] == [tokenizer.bos_token_id] else tokenizer.bos_token


def mixed_examples(sft_paths: dict[str, str], mix: dict[str, float], seed: int) -> list[dict]:
    """SFT examples of every recipe with a positive weight; weight w repeats a set ⌊w⌋ times plus a
    seeded random fraction w − ⌊w⌋ of it."""
    rng = random.Random(f"{seed}/mix")
    out = []
    for recipe, path in sft_paths.items():
        weight = mix.get(recipe, 0)
        rows = io.read_rows(path)
        whole, frac = int(math.floor(weight)), weight - math.floor(weight)
        out += rows * whole
        out += rng.sample(rows, round(frac * len(rows))) if frac else []
    rng.shuffle(out)
    return out


# SelfCodeAlign / StarCoder2-15B-Instruct: full fine-tune, Adafactor, lr 1e-5, 4 epochs, batch 64,
# warmup 0.05, linear decay, sequence length 1280, no packing, --max_grad_norm -1,
# attention/residual/embedding dropout 0.0 (README-SC2INST.md, training script).
PAPER_PROFILE = dict(
    method="full",
    optimizer="adafactor",
    learning_rate=1e-5,
    epochs=4,
    max_steps=None,
    per_device_batch=4,
    effective_batch=64,
    warmup_ratio=0.05,
    scheduler="linear",
    max_length=1280,
    packing=False,
    lora_r=16,
    lora_alpha=32,
    lora_dropout=0.05,
    save_steps=200,
    gradient_checkpointing=True,
    max_grad_norm=None,
    dropout=0.0,
)
PROFILES = {
    "paper": PAPER_PROFILE,
    # The embedded default: the paper's profile as a short LoRA run that fits two CPU cores in minutes.
    "cpu-lora": {
        **PAPER_PROFILE,
        **dict(
            method="lora",
            optimizer="adamw_torch",
            learning_rate=2e-4,
            epochs=3,
            per_device_batch=2,
            effective_batch=8,
            max_length=768,
            save_steps=5,
            gradient_checkpointing=False,
            max_grad_norm=1.0,
            dropout=None,
        ),
    },
}


def resolve_profile(cfg: dict) -> dict:
    """The built-in profile of that name, updated by ``train.profiles.<name>``, then ``train.overrides``."""
    name = cfg["profile"]
    if name not in PROFILES and name not in cfg["profiles"]:
        raise ValueError(f"train.profile {name!r} is neither built in ({sorted(PROFILES)}) nor under train.profiles")
    profile = {**PROFILES.get(name, {}), **cfg["profiles"].get(name, {}), **(cfg.get("overrides") or {})}
    missing = set(PROFILES["paper"]) - set(profile)
    if missing:
        raise ValueError(f"train profile {name!r} lacks {sorted(missing)}")
    return profile


def check_method(method: str) -> None:
    """QLoRA needs a CUDA GPU (bitsandbytes 4-bit): refuse it clearly anywhere else."""
    if method == "qlora":
        import torch

        if not torch.cuda.is_available():
            raise TrainingUnavailable(
                "train method 'qlora' needs a CUDA GPU (bitsandbytes 4-bit), and this machine has none; "
                "use 'lora' or 'full' here, or run on a GPU node"
            )


def _loss_curve(history: list[dict], path: str, title: str) -> None:
    plt = plots.pyplot()
    steps = [h["step"] for h in history if "loss" in h]
    losses = [h["loss"] for h in history if "loss" in h]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    if steps:
        ax.plot(steps, losses, marker="o", markersize=3)
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("training loss (response tokens)")
    else:
        plots.say_empty(ax, "no training steps")
    ax.set_title(title)
    fig.tight_layout()
    plots.save(fig, path)


def _save_base_unchanged(base: str, out_dir: str) -> None:
    tmp = Path(out_dir + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(base, tmp, ignore=shutil.ignore_patterns(".snakemake_timestamp"))
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)


def with_dropout(base_model: str, p: float):
    """The model's config with every dropout probability (attention, residual, embedding, hidden …) set to ``p``."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(base_model)
    for part in {id(c): c for c in (config, config.get_text_config())}.values():
        for name, value in vars(part).items():
            if "dropout" in name and isinstance(value, float) and not isinstance(value, bool):
                setattr(part, name, p)
    return config


def sft_config(profile: dict, *, work_dir: str, seed: int, on_gpu: bool, devices: int):
    """A training profile as TRL's SFTConfig: the effective batch reached by gradient accumulation
    over the devices, loss on the completion only, a checkpoint every ``save_steps``."""
    import torch
    from trl import SFTConfig

    per_device = profile["per_device_batch"]
    return SFTConfig(
        output_dir=work_dir,
        num_train_epochs=profile["epochs"],
        max_steps=profile.get("max_steps") or -1,
        per_device_train_batch_size=per_device,
        gradient_accumulation_steps=max(1, profile["effective_batch"] // (per_device * devices)),
        learning_rate=profile["learning_rate"],
        lr_scheduler_type=profile["scheduler"],
        warmup_steps=profile["warmup_ratio"],  # transformers 5 (pinned): a float in [0, 1) is a ratio of the total steps
        max_grad_norm=profile["max_grad_norm"] or 0.0,  # 0: no clipping
        optim=profile["optimizer"],
        max_length=profile["max_length"],
        packing=profile["packing"],
        completion_only_loss=True,
        gradient_checkpointing=on_gpu and profile.get("gradient_checkpointing", True),  # trl 1.x turns it on by default
        bf16=on_gpu and torch.cuda.is_bf16_supported(),
        use_cpu=not on_gpu,
        logging_steps=1,
        save_strategy="steps",
        save_steps=profile["save_steps"],
        save_total_limit=2,
        report_to=[],
        seed=seed,
        data_seed=seed,
        dataloader_num_workers=0,
        dataset_num_proc=1,
        disable_tqdm=True,
    )


def _model(base_model: str, profile: dict, on_gpu: bool):
    """The base model as the profile's method trains it (bf16 on a GPU, 4-bit for QLoRA, the
    profile's dropout), and the LoRA config for ``lora`` / ``qlora`` (else None)."""
    import torch
    from transformers import AutoModelForCausalLM

    model_kwargs = {"dtype": torch.bfloat16 if on_gpu else torch.float32}
    peft_config = None
    if profile["method"] in ("lora", "qlora"):
        from peft import LoraConfig

        peft_config = LoraConfig(
            r=profile["lora_r"],
            lora_alpha=profile["lora_alpha"],
            lora_dropout=profile["lora_dropout"],
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        )
    if profile["method"] == "qlora":
        from transformers import BitsAndBytesConfig

        model_kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16
        )
    if profile.get("dropout") is not None:
        model_kwargs["config"] = with_dropout(base_model, profile["dropout"])
    return AutoModelForCausalLM.from_pretrained(base_model, **model_kwargs), peft_config


def build_trainer(examples: list[dict], *, base_model: str, profile: dict, work_dir: str, template: dict, seed: int, threads: int = 1):
    """TRL's SFTTrainer on prompt–completion pairs (loss on the completion only)."""
    import datasets
    import torch
    from transformers import AutoTokenizer, TrainerCallback
    from trl import SFTTrainer

    on_gpu = torch.cuda.is_available()
    if not on_gpu:
        torch.set_num_threads(max(1, threads))
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    bos = bos_prefix(tokenizer, template)
    dataset = datasets.Dataset.from_list(
        [{"prompt": bos + instruction_prompt_of(e["instruction"], template), "completion": e["response"].rstrip() + "\n"} for e in examples]
    )
    devices = max(1, torch.cuda.device_count()) if on_gpu else 1
    args = sft_config(profile, work_dir=work_dir, seed=seed, on_gpu=on_gpu, devices=devices)
    model, peft_config = _model(base_model, profile, on_gpu)

    class Progress(TrainerCallback):
        def on_log(self, _args, state, _control, logs=None, **kw):
            if logs and "loss" in logs:
                log.info("step %d/%d loss %.4f lr %.2e", state.global_step, state.max_steps, logs["loss"], logs.get("learning_rate", 0))

    trainer = SFTTrainer(
        model=model, args=args, train_dataset=dataset, processing_class=tokenizer, peft_config=peft_config, callbacks=[Progress()]
    )
    return trainer, tokenizer


def train(
    *,
    out_dir: str,
    work_dir: str,
    log_path: str,
    curve_path: str,
    cfg: dict,
    random_seed: int,
    selfalign: str | None = None,
    codeocean: str | None = None,
    model: str | None = None,
    models: dict | None = None,
    threads: int = 1,
) -> dict:
    """Fine-tune the base model on the SFT sets given (``selfalign``, ``codeocean``; mixed by
    ``train.mix``). The base model is the local folder ``model``, or else ``models[cfg["model"]]``
    (a hub id)."""
    sft_paths = {recipe: path for recipe, path in (("selfalign", selfalign), ("codeocean", codeocean)) if path}
    base_model = model or (models or {})[cfg["model"]]
    seed = random_seed
    profile = resolve_profile(cfg)
    method = profile["method"]
    check_method(method)
    examples = mixed_examples(sft_paths, cfg["mix"], seed)
    template = cfg["template"]
    record = {
        "profile": cfg["profile"],
        "hyperparameters": profile,
        "examples": len(examples),
        "base_model": base_model,
        "mix": cfg["mix"],
        "template": template,
    }
    if len(examples) < cfg["min_examples"]:
        reason = f"{len(examples)} SFT examples, fewer than train.min_examples={cfg['min_examples']}"
        return _not_trained(record, reason, base_model, out_dir=out_dir, log_path=log_path, curve_path=curve_path)

    trainer, tokenizer = build_trainer(
        examples, base_model=base_model, profile=profile, work_dir=work_dir, template=template, seed=seed, threads=threads
    )
    resume = any(p.name.startswith("checkpoint-") for p in Path(work_dir).glob("checkpoint-*")) if Path(work_dir).exists() else False
    if resume:
        log.info("resuming from the last checkpoint in %s", work_dir)
    started = time.monotonic()
    result = trainer.train(resume_from_checkpoint=True if resume else None)
    seconds = time.monotonic() - started
    tokens = sum(len(x) for x in trainer.train_dataset["input_ids"]) * profile["epochs"]

    history = trainer.state.log_history
    record.update(
        status="trained",
        resumed=resume,
        steps=trainer.state.global_step,
        train_loss=result.training_loss,
        train_seconds=round(seconds, 2),
        train_tokens_per_second=round(tokens / seconds, 1) if seconds else None,
        log_history=history,
    )
    _save_checkpoint(trainer.model, tokenizer, merge=method in ("lora", "qlora"), base_model=base_model, out_dir=out_dir, record=record)
    io.write_json(log_path, record)
    _loss_curve(history, curve_path, f"{cfg['profile']}: {len(examples)} examples, {record['steps']} steps")
    shutil.rmtree(work_dir, ignore_errors=True)  # the checkpoint is final; intermediate ones are no longer needed
    log.info("trained %d steps on %d examples in %.0fs; checkpoint at %s", record["steps"], len(examples), seconds, out_dir)
    return record


def _not_trained(record: dict, reason: str, base_model: str, *, out_dir: str, log_path: str, curve_path: str) -> dict:
    """Too few examples: the checkpoint is the base model, unchanged, and every output says why."""
    log.warning("not training: %s; the checkpoint is the base model, unchanged", reason)
    _save_base_unchanged(base_model, out_dir)
    record.update(status="untrained", reason=reason, log_history=[])
    io.write_text(Path(out_dir, TRAINING_RECORD), json.dumps(record, indent=2) + "\n")
    io.write_json(log_path, record)
    _loss_curve([], curve_path, "not trained: " + reason)
    return record


def _save_checkpoint(model, tokenizer, *, merge: bool, base_model: str, out_dir: str, record: dict) -> None:
    """The trained model (a LoRA adapter merged in), its tokenizer, the base model's generation
    config and the training record, written to ``out_dir`` at once (through a temporary folder)."""
    from transformers import GenerationConfig

    final = model.merge_and_unload() if merge else model
    tmp = Path(out_dir + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    final.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    has_own = Path(base_model, "generation_config.json").exists()
    generation = GenerationConfig.from_pretrained(base_model) if has_own else final.generation_config
    generation.save_pretrained(tmp)
    (tmp / TRAINING_RECORD).write_text(json.dumps({k: v for k, v in record.items() if k != "log_history"}, indent=2, default=str) + "\n")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)


ENTRY = cli.Entry(
    train,
    inputs={"selfalign": "selfalign", "codeocean": "codeocean", "model": "model"},
    outputs={"out_dir": "checkpoint", "log_path": "log", "curve_path": "curve"},
    params={"work_dir": "work"},
    config={"cfg": "train", "models": "models", "random_seed": "random_seed"},
)

if __name__ == "__main__":
    ENTRY.main()
