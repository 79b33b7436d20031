"""The SelfCodeAlign DAG with the real Gemma 3 270M as Snakemake rules in a temp dir — judge →
concepts → instructions → responses → sandbox execution → SFT set — and the resume property: a
shard killed mid-way and rerun equals an uninterrupted one."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml
from conftest import REPO, Workflow, base_overlay, benchmark_paths
from seedutil import STDLIB

from codealign import io
from codealign.sandbox.pool import PREIMPORT

pytestmark = pytest.mark.e2e


def corpus(root):
    root.mkdir()
    for name in ("operator.py", "imghdr.py", "stat.py"):
        shutil.copy(STDLIB / name, root / name)
    return root


def overlay(gemma, corpus_dir, **instruct):
    return {
        **base_overlay(),
        "models": {"base": str(gemma)},
        "generation": {**base_overlay()["generation"], "transformers": {"batch_size": 4}},
        "seeds": {
            "corpus": {"sources": [{"kind": "files", "paths": [str(corpus_dir)]}]},
            "judge": {"max_seeds": 6, "k": 3, "apply": False},
        },
        "instruct": {"shards": 2, "concepts": {"k": 3, "max_new_tokens": 32}, "instructions": {"k": 3, "max_new_tokens": 96}, **instruct},
        "responses": {"backend": "transformers", "k": 1, "n": 2, "max_new_tokens": 160},
        "execution": {"timeout_s": 5, "memory_mb": 1024},
        "codeocean": {"build": False},  # tests/test_codeocean_workflow.py runs that recipe
        "train": {"overrides": {"epochs": 1, "max_length": 384}, "mix": {"selfalign": 1.0, "codeocean": 0.0}},
        "eval": {"benchmarks": ["humanevalplus"], "subset": {"humanevalplus": {"first": 2}}, "max_new_tokens": 64},
    }


def test_the_selfalign_dag_with_gemma(tmp_path, gemma_model, benchmarks_available):
    wf = Workflow(tmp_path / "run")
    wf.workdir.mkdir()
    cfg = overlay(gemma_model, corpus(tmp_path / "corpus"))
    cfg["experiments"] = {"default": {}, "select-random": {"selection": {"mode": "random"}}}
    config = wf.write_config(cfg)
    proc = wf.run(config=config)  # rule all: both experiments through training and scores
    assert proc.stderr.count("rule responses:") == 1  # the ablation shares every stage up to selection
    assert proc.stderr.count("wildcards: experiment=default, benchmark=humanevalplus, model=base") >= 1
    assert "experiment=select-random, benchmark=humanevalplus, model=base" not in proc.stderr  # base model evaluated once

    judged = io.read_json(wf.path("results/default/seeds/judged.stats.json"))
    assert judged["judged"] == 6 and judged["out"] == 6 and judged["dropped"]["not_sampled"] == judged["in"] - 6
    judgments = io.read_rows(wf.path("results/default/seeds/judgments.parquet"))
    assert len(judgments) == 6 and all(len(j["answers"]) == 1 and len(j["fewshot_ids"]) == 3 for j in judgments)

    concepts = io.read_json(wf.path("results/default/instruct/concepts.stats.json"))
    assert concepts["shards"] == 2 and concepts["in"] == 6
    assert concepts["in"] == concepts["out"] + sum(concepts["dropped"].values())
    assert concepts["generation"]["requests"] == 6 and concepts["generation"]["completion_tokens"] > 0

    instructions = io.read_json(wf.path("results/default/instruct/instructions.stats.json"))
    assert instructions["in"] == concepts["out"]
    rows = io.read_rows(wf.path("results/default/instruct/instructions.parquet"))
    assert len(rows) == instructions["out"]
    for row in rows:
        assert row["mode"] == "concepts" and row["concepts"] and row["instruction"].strip()
        assert row["category"] in ("function implementation", "class implementation", "program implementation")
    rejected = [r for k in (0, 1) for r in io.read_jsonl(wf.path(f"results/default/instruct/instructions/shard-{k}.rejected.jsonl"))]
    assert sorted(r["reason"] for r in rejected) == sorted(r for r, n in instructions["dropped"].items() for _ in range(n))

    responses = io.read_json(wf.path("results/default/responses/responses.stats.json"))
    assert responses["items_in"] == instructions["out"] and responses["in"] == 2 * instructions["out"]
    assert responses["in"] == responses["out"] + sum(responses["dropped"].values())
    execution = io.read_json(wf.path("results/default/execution/execution.stats.json"))
    assert execution["in"] == responses["out"] == sum(execution["verdicts"].values())
    assert execution["sandbox"]["isolation"] == ("nsjail" if execution["in"] else None)
    if execution["in"]:  # workers warmed with at least the core modules, recorded for the reader
        assert set(PREIMPORT) <= set(execution["sandbox"]["preimported"])
    verdicts = io.read_rows(wf.path("results/default/execution/execution.parquet"))
    assert {v["status"] for v in verdicts} <= {"pass", "fail", "timeout", "out_of_memory", "crash"}
    # execution.per_assert (the embedded default's): every response's asserts counted, all passing where it passed
    assert all(0 <= v["asserts_passed"] <= v["asserts_total"] for v in verdicts)
    assert all(v["asserts_passed"] == v["asserts_total"] for v in verdicts if v["status"] == "pass")
    if verdicts:
        assert execution["per_assert"]["responses"] == sum(v["status"] != "pass" for v in verdicts)

    sft = io.read_json(wf.path("results/default/sft/stats.json"))
    assert sft["mode"] == "partial" and sft["in"] == responses["out"] and sft["instructions"] == instructions["out"]
    assert sft["in"] == sft["out"] + sum(sft["dropped"].values())
    assert sft["out"] == len(io.read_rows(wf.path("results/default/sft/dataset.parquet")))
    by_id = {v["response_id"]: v for v in verdicts}
    for row in io.read_rows(wf.path("results/default/sft/dataset.parquet")):  # passed, or passed some of its asserts alone
        v = by_id[row["response_id"]]
        assert row["verdict"] == ("pass" if v["status"] == "pass" else f"partial {v['asserts_passed']}/{v['asserts_total']}")
        assert v["asserts_passed"] > 0
    ablation = io.read_rows(wf.path("results/select-random/sft/dataset.parquet"))
    if execution["in"]:  # any response that parsed is eligible when verdicts do not matter
        assert ablation, "random selection found no response"
    card = wf.path("results/select-random/sft/README.md").read_text()
    assert "selection mode: `random`" in card and "experiment: select-random" in card

    # training and evaluation: a real checkpoint where the set has examples, an explicit "untrained" where not
    for experiment in ("default", "select-random"):
        log = io.read_json(wf.path(f"results/{experiment}/train/log.json"))
        size = len(io.read_rows(wf.path(f"results/{experiment}/sft/dataset.parquet")))
        assert log["status"] == ("trained" if size else "untrained") and log["examples"] == size
        assert wf.path(f"results/{experiment}/train/checkpoint/config.json").exists()
        assert wf.path(f"results/{experiment}/train/loss.png").read_bytes().startswith(b"\x89PNG")
        scores = io.read_json(wf.path(f"results/{experiment}/eval/scores.json"))["scores"]
        assert [(s["benchmark"], s["model"], s["tasks"]) for s in scores] == [("humanevalplus", "base", 2), ("humanevalplus", "tuned", 2)]
        assert all(0.0 <= s["pass@1"] <= 1.0 and 0.0 <= s["pass@1_plus"] <= s["pass@1"] for s in scores)
        assert (scores[1]["note"] != "") == (log["status"] == "untrained")
        assert wf.path(f"results/{experiment}/eval/scores.png").exists()
    samples = io.read_jsonl(wf.path("results/select-random/eval/humanevalplus/tuned/samples.jsonl"))
    assert [s["task_id"] for s in samples] == ["HumanEval/0", "HumanEval/1"]

    # Figures, provenance and the report come from what is there; redrawing reruns nothing costly.
    for experiment in ("default", "select-random"):
        for name in ("funnel", "verdicts", "pass_rate", "scores", "throughput"):
            assert wf.path(f"results/{experiment}/figures/{name}.png").read_bytes().startswith(b"\x89PNG")
        record = io.read_json(wf.path(f"results/{experiment}/provenance.json"))
        assert record["experiment"] == experiment and len(record["config_sha256"]) == 64
        assert record["config"]["selection"]["mode"] == ("random" if experiment == "select-random" else "partial")
        assert record["inputs"]["sft"]["sha256"] and record["inputs"]["benchmark_humanevalplus"]["sha256"]
        assert record["models"]["base"]["fingerprint"] and record["packages"]["snakemake"]
    assert wf.path("results/figures/ablations.png").exists()
    redraw = wf.run("figures", "-R", "figures_selfalign", "figures_ablations", config=config)
    ran = set(re.findall(r"^(?:local)?rule (\w+):", redraw.stderr, re.M))
    assert ran == {"figures_selfalign", "figures_ablations", "figures"}, ran  # nothing upstream
    wf.run("--report", str(wf.path("report.html")), config=config)
    html = wf.path("report.html").read_text()
    assert "data funnel" in html and "provenance" in html.lower() and "data browser" in html

    # The data browser: every stage's kept items and its drops by reason; the end-of-run summary.
    browser = wf.path("results/default/report/browser.html").read_text()
    for title in ("Seeds", "Concepts (S→C)", "Instructions", "Responses", "SFT set"):
        assert f"<h2>{title}</h2>" in browser, title
    assert "dropped, by step and reason" in browser and "seeds_filter: " in browser
    for reason in instructions["dropped"]:
        assert f"dropped: {reason} (" in browser
    from codealign.report import summary

    text = "\n".join(summary.lines(wf.path("results"), wf.path("report.html")))
    assert f"{sft['out']:,} SFT examples" in text and f"{instructions['out']:,} instructions" in text
    with_assert = execution.get("per_assert", {}).get("with_a_passing_assert", 0)
    assert f"(+{with_assert:,} passing some asserts alone)" in text  # the default's partial selection, counted
    if verdicts:  # the browser shows the per-assert counts beside each verdict
        assert "asserts_passed" in browser
    assert "experiment select-random" in text and text.count("pass@1") == 4 and "on 2 tasks" in text
    assert str(wf.path("results/default/sft/dataset.parquet")) in text

    # A second run finds everything done; forcing the shards reruns them from the request cache.
    proc = wf.run("results/default/instruct/instructions.parquet", "--forcerun", "instruct_concepts", config=config)
    again = io.read_json(wf.path("results/default/instruct/concepts.stats.json"))
    assert again["generation"]["cached"] == 6 and again["generation"]["generated"] == 0
    assert io.read_rows(wf.path("results/default/instruct/instructions.parquet")) == rows, proc.stderr[-2000:]

    # Re-sharding regenerates and re-executes nothing: the caches are keyed by content.
    responses_rows = io.read_rows(wf.path("results/default/responses/responses.parquet"))
    cfg["instruct"]["shards"] = 3
    cfg["responses"]["shards"] = 2
    config = wf.write_config(cfg)
    proc = wf.run("results/default/execution/execution.parquet", "results/default/responses/responses.parquet", config=config)
    assert "rule instruct_concepts:" in proc.stderr and "rule execution:" in proc.stderr  # the shards did rerun
    for stage in ("instruct/concepts", "instruct/instructions", "responses/responses"):
        resharded = io.read_json(wf.path(f"results/default/{stage}.stats.json"))
        generation = resharded["generation"]
        assert generation["generated"] == 0 and generation["cached"] == generation["requests"], stage
    assert io.read_json(wf.path("results/default/instruct/concepts.stats.json"))["shards"] == 3
    assert io.read_json(wf.path("results/default/execution/execution.stats.json"))["executed"] == 0
    assert io.read_rows(wf.path("results/default/instruct/instructions.parquet")) == rows
    assert io.read_rows(wf.path("results/default/responses/responses.parquet")) == responses_rows


def test_seed_to_instruction_mode_skips_concepts(tmp_path, gemma_model, benchmarks_available):
    wf = Workflow(tmp_path / "run")
    wf.workdir.mkdir()
    config = wf.write_config(overlay(gemma_model, corpus(tmp_path / "corpus"), mode="seed", shards=1))
    wf.run("results/default/instruct/instructions.parquet", config=config)
    assert not wf.path("results/default/instruct/concepts.parquet").exists()
    rows = io.read_rows(wf.path("results/default/instruct/instructions.parquet"))
    assert all(r["mode"] == "seed" and r["concepts"] == [] for r in rows)


def shard_command(workdir, config_path, seeds, out):
    """The S→C shard by hand (``python -m``), with the names its rule gives the files."""
    return [
        *(sys.executable, "-m", "codealign.selfalign.instruct", "concepts"),
        *("--config", str(REPO / "config.yaml"), "--overlay", str(config_path), "--threads", "2"),
        *("--seeds", str(seeds), "--concepts", str(out), "--rejected", str(out) + ".rejected.jsonl"),
        *("--stats", str(out) + ".stats.json", "--shards", "1", "--cache", str(out) + ".cache/shard-0-of-1.jsonl"),
    ]


def test_a_killed_shard_resumes_and_equals_an_uninterrupted_run(tmp_path, gemma_model, benchmarks_available):
    from seedutil import stdlib_seed

    from codealign.records import Seed, schema, to_row

    seeds = tmp_path / "seeds.parquet"
    picks = [("operator.py", n) for n in ("lt", "le", "eq", "ne", "ge", "gt")]
    io.write_rows(seeds, [to_row(stdlib_seed(*p)) for p in picks], schema(Seed))
    cfg = tmp_path / "overlay.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "benchmarks": benchmark_paths(),
                "models": {"base": str(gemma_model)},
                "generation": {"backend": "transformers", "transformers": {"batch_size": 1}},  # one request per resumable chunk
                "instruct": {"concepts": {"k": 3, "max_new_tokens": 24}},
            }
        )
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}

    whole = tmp_path / "whole" / "concepts.parquet"
    subprocess.run(shard_command(tmp_path, cfg, seeds, whole), check=True, env=env, cwd=REPO, capture_output=True)

    killed = tmp_path / "killed" / "concepts.parquet"
    cache = str(killed) + ".cache/shard-0-of-1.jsonl"
    proc = subprocess.Popen(
        shard_command(tmp_path, cfg, seeds, killed), env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if os.path.exists(cache) and len(open(cache).readlines()) >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the shard finished before it could be killed"
    assert not killed.exists()
    done_before = len(open(cache).readlines())
    assert 2 <= done_before < 6

    subprocess.run(shard_command(tmp_path, cfg, seeds, killed), check=True, env=env, cwd=REPO, capture_output=True)
    stats = io.read_json(str(killed) + ".stats.json")
    assert stats["generation"]["cached"] == done_before and stats["generation"]["generated"] == 6 - done_before
    assert io.read_rows(killed) == io.read_rows(whole)
