"""Training and scoring throughput, each against a bare baseline in the same run.

scoring   HumanEval+ samples (the canonical solutions, all 164 tasks) scored through codealign's
          eval path (``evaluate.stage.score``: sample file, EvalPlus subprocess, summary)
          against ``python -m evalplus.evaluate`` run directly on the same samples. Tasks/s.
training  LoRA SFT of Gemma 3 270M on the few-shot bank's 25 instruction/response pairs, a few
          optimizer steps: codealign's ``train.train`` (data from Parquet, TRL SFTTrainer,
          adapter merge, checkpoint save) against a bare SFTTrainer script on the same
          prompt/completion pairs and hyperparameters. Training tokens/s of the train loop, and
          wall time including everything each side does.

    python bench/train_eval.py scoring
    python bench/train_eval.py training [--model .cache/test-models/results/models/base]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HUMANEVALPLUS = REPO.parent / "shared/data/benchmarks/HumanEvalPlus-v0.1.10.jsonl.gz"


def scoring(args) -> None:
    from codealign import io
    from codealign.benchmarks import read_jsonl
    from codealign.evaluate import stage

    tasks = read_jsonl(HUMANEVALPLUS)
    cache = str(REPO / ".cache" / "evalplus")
    with tempfile.TemporaryDirectory() as tmp:
        samples = Path(tmp) / "samples.jsonl"
        io.write_jsonl(samples, [{"task_id": t["task_id"], "solution": t["prompt"] + t["canonical_solution"]} for t in tasks])
        bare_times, ours_times = [], []
        for r in range(args.rounds):
            env = {**os.environ, "HUMANEVAL_OVERRIDE_PATH": str(HUMANEVALPLUS), "XDG_CACHE_HOME": cache}
            start = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "evalplus.evaluate",
                    "--dataset",
                    "humaneval",
                    "--samples",
                    str(samples),
                    "--parallel",
                    str(args.threads),
                    "--i-just-wanna-run",
                ],
                env=env,
                check=True,
                capture_output=True,
            )
            bare_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            stage.score(
                benchmark="humanevalplus",
                tasks_path=str(HUMANEVALPLUS),
                samples_path=str(samples),
                out=str(Path(tmp) / "scores.json"),
                execution={},
                cache_dir=cache,
                limits={},
                threads=args.threads,
            )
            ours_times.append(time.perf_counter() - start)
            print(f"round {r + 1}: evalplus.evaluate {bare_times[-1]:.1f}s | codealign eval path {ours_times[-1]:.1f}s", flush=True)
    bare, ours = len(tasks) / min(bare_times), len(tasks) / min(ours_times)
    print(f"scoring: evalplus.evaluate {bare:.2f} tasks/s; codealign eval path {ours:.2f} tasks/s")
    print(f"RATIO codealign / evalplus.evaluate = {ours / bare:.2f}")


BARE = """
import json, sys, time, torch, datasets
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import SFTConfig, SFTTrainer
from peft import LoraConfig
torch.set_num_threads({threads})
pairs = json.load(open({pairs!r}))
tok = AutoTokenizer.from_pretrained({model!r})
model = AutoModelForCausalLM.from_pretrained({model!r}, dtype=torch.float32)
args = SFTConfig(output_dir={out!r}, max_steps={steps}, per_device_train_batch_size=2, gradient_accumulation_steps=4,
                 learning_rate=2e-4, lr_scheduler_type="linear", warmup_steps=0.05, optim="adamw_torch", max_length=768,
                 packing=False, completion_only_loss=True, gradient_checkpointing=False, use_cpu=True, logging_steps=1,
                 save_strategy="no", report_to=[], seed=1234, disable_tqdm=True)
trainer = SFTTrainer(model=model, args=args, train_dataset=datasets.Dataset.from_list(pairs), processing_class=tok,
                     peft_config=LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM"))
start = time.monotonic()
trainer.train()
seconds = time.monotonic() - start
tokens = sum(len(x) for x in trainer.train_dataset["input_ids"]) * trainer.state.epoch
print(json.dumps({{"seconds": seconds, "tokens_per_second": tokens / seconds}}))
"""


def training(args) -> None:
    from codealign import io
    from codealign.config import validate
    from codealign.generation.prompts import load_bank
    from codealign.records import SFTExample, schema, to_row
    from codealign.train import stage as train

    bank = load_bank()
    rows = [
        to_row(
            SFTExample(
                e.id,
                e.instruction.strip(),
                e.response,
                "s",
                e.id,
                e.id,
                [],
                e.category,
                e.difficulty,
                0,
                "pass",
                "bank",
                "selfalign",
                "code generation",
            )
        )
        for e in bank
    ]
    cfg = validate({"train": {"overrides": {"max_steps": args.steps, "save_steps": 1000}}})["train"]
    with tempfile.TemporaryDirectory() as tmp:
        sft = Path(tmp) / "sft.parquet"
        io.write_rows(sft, rows, schema(SFTExample))
        pairs = Path(tmp) / "pairs.json"
        pairs.write_text(
            json.dumps(
                [{"prompt": train.prompt_of(r["instruction"], cfg["template"]), "completion": r["response"].rstrip() + "\n"} for r in rows]
            )
        )
        for r in range(args.rounds):
            start = time.perf_counter()
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    BARE.format(threads=args.threads, pairs=str(pairs), model=args.model, out=str(Path(tmp) / "bare"), steps=args.steps),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            bare_wall = time.perf_counter() - start
            bare = json.loads(out.stdout.strip().splitlines()[-1])
            start = time.perf_counter()
            record = train.train(
                selfalign=str(sft),
                model=args.model,
                out_dir=str(Path(tmp) / f"ckpt{r}"),
                work_dir=str(Path(tmp) / f"work{r}"),
                log_path=str(Path(tmp) / "log.json"),
                curve_path=str(Path(tmp) / "loss.png"),
                cfg=cfg,
                random_seed=1234,
                threads=args.threads,
            )
            ours_wall = time.perf_counter() - start
            print(
                f"round {r + 1}: bare SFTTrainer {bare['tokens_per_second']:.0f} tok/s (wall {bare_wall:.0f}s) | "
                f"train rule {record['train_tokens_per_second']:.0f} tok/s (wall {ours_wall:.0f}s, incl. merge + save)",
                flush=True,
            )
            print(
                f"RATIO train-loop tokens/s, rule / bare = {record['train_tokens_per_second'] / bare['tokens_per_second']:.2f}; "
                f"wall time bare / rule = {bare_wall / ours_wall:.2f}"
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("part", choices=["scoring", "training"])
    p.add_argument("--model", default=str(REPO / ".cache/test-models/results/models/base"))
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    scoring(args) if args.part == "scoring" else training(args)


if __name__ == "__main__":
    main()
