"""One declaration per stage: every rule's script calls its stage through the stage's ``cli.Entry``,
whose names are the rule's own, and the same entry runs the stage by hand with ``python -m``."""

import importlib
import re
import subprocess
import sys
from dataclasses import dataclass

import pytest
import yaml
from conftest import REPO
from rulesutil import rule_blocks
from seedutil import stdlib_seed

from codealign import cli, io
from codealign.records import Seed, schema, to_row


def section(block: str, name: str) -> str:
    m = re.search(rf"(?ms)^    {name}:\n(.*?)(?=^    \w+:|\Z)", block)
    return m.group(1) if m else ""


def names(text: str) -> dict[str, str]:
    """``name=value`` entries of a rule section (value: the rest of the line)."""
    return dict(re.findall(r"(?m)^        (\w+)=(.*)$", text))


def entry_of(script: str, rule: str) -> cli.Entry | None:
    """The entry a rule's script calls: ``module.NAME.from_snakemake(snakemake)``, or, in a script
    shared by several rules, the entry its ``ENTRIES`` table gives the rule's name."""
    text = (REPO / "scripts" / script).read_text()
    modules = {
        name: f"{package}.{name}"
        for package, names in re.findall(r"^from (codealign[\w.]*) import ([\w, ]+)$", text, re.M)
        for name in names.split(", ")
    }
    called = re.search(r"^(\w+)\.(\w+)\.from_snakemake\(snakemake\)$", text, re.M)
    if "ENTRIES[snakemake.rule]" in text:
        called = re.search(rf'^    "{rule}": (\w+)\.(\w+),$', text, re.M)
    if not called or called.group(1) not in modules:
        return None
    return getattr(importlib.import_module(modules[called.group(1)]), called.group(2))


CASES = [
    (rule, entry_of(m.group(1), rule))
    for rule, block in rule_blocks().items()
    if (m := re.search(r'"\.\./scripts/(\w+\.py)"', block)) and entry_of(m.group(1), rule)
]


def test_most_rules_call_their_stage_through_an_entry():
    assert len(CASES) >= 25


@pytest.mark.parametrize("rule,entry", CASES, ids=[rule for rule, _ in CASES])
def test_an_entry_names_what_its_rule_declares(rule, entry):
    block = rule_blocks()[rule]
    inputs, outputs, params = (names(section(block, s)) for s in ("input", "output", "params"))
    wildcards = set(re.findall(r"\{(\w+)\}", section(block, "output")))
    if "unpack(" not in section(block, "input"):  # else an input function names them
        assert set(entry.inputs.values()) <= set(inputs), rule
    assert set(entry.outputs.values()) == set(outputs), f"{rule}: every output is passed to the stage"
    assert set(entry.params.values()) <= set(params), rule
    assert set(entry.wildcards.values()) <= wildcards, rule
    for argument, source in entry.config.items():
        assert argument in params, f"{rule}: config argument {argument} is no param of the rule"
        if isinstance(source, str):
            assert params[argument].startswith(f'section("{source}"'), f"{rule}: {argument} is section {source!r} by hand"


def test_a_declaration_that_does_not_fit_its_function_is_refused():
    def stage(*, seeds: str, out: str):
        return None

    with pytest.raises(TypeError, match="do not match"):
        cli.Entry(stage, inputs={"seeds": "seeds", "missing": "x"})
    with pytest.raises(TypeError, match="repeat"):
        cli.Entry(stage, inputs={"seeds": "seeds"}, outputs={"out": "seeds"})


def test_a_stage_runs_by_hand_with_its_rules_names(tmp_path):
    seeds = tmp_path / "raw.parquet"
    rows = [to_row(stdlib_seed("operator.py", n)) for n in ("lt", "le", "eq")]
    io.write_rows(seeds, rows, schema(Seed))
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"seeds": {"filters": {"min_arguments": 2}}}))
    out, stats = tmp_path / "filtered.parquet", tmp_path / "filtered.stats.json"
    cmd = [sys.executable, "-m", "codealign.seeds.filter", "--seeds", str(seeds), "--filtered", str(out), "--stats", str(stats)]
    proc = subprocess.run([*cmd, "--overlay", str(overlay), "--threads", "1"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    kept = io.read_rows(out)
    assert [r["name"] for r in kept] == ["lt", "le", "eq"]  # two arguments each: the overlay's setting was read
    assert io.read_json(stats)["in"] == 3

    missing = subprocess.run([*cmd[:5], "--stats", str(stats)], capture_output=True, text=True, cwd=tmp_path)
    assert missing.returncode == 2 and "--filtered" in missing.stderr  # argparse names what is missing


def test_a_module_with_several_stages_takes_the_step_first(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "codealign.seeds.dedup", "nonsense"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode != 0 and "{signatures,gather}" in proc.stderr


@dataclass(frozen=True)
class Where:
    out: str
    shard: int
    threads: int = 1


def test_a_bundle_is_declared_field_by_field_and_built_for_the_call():
    seen = {}

    def stage(*, seeds: str, where: Where):
        seen.update(seeds=seeds, where=where)

    entry = cli.Entry(stage, inputs={"seeds": "seeds"}, outputs={"out": "result"}, wildcards={"shard": "shard"}, bundle=("where", Where))
    entry.main(["--seeds", "a.parquet", "--result", "b.parquet", "--shard", "3", "--threads", "2"])
    assert seen == {"seeds": "a.parquet", "where": Where(out="b.parquet", shard=3, threads=2)}
    with pytest.raises(TypeError, match="no dataclass argument"):
        cli.Entry(stage, bundle=("missing", Where))
    with pytest.raises(TypeError, match="do not match"):
        cli.Entry(stage, outputs={"elsewhere": "result"}, bundle=("where", Where))


def test_every_llm_shard_takes_the_shared_arguments_under_its_rules_names():
    from codealign.codeocean import generate
    from codealign.generation.llmstage import ShardArgs
    from codealign.selfalign import responses

    for entry in (responses.SHARD, generate.SHARD):
        assert entry.bundle == ("args", ShardArgs)
        flags = {a.dest: a.option_strings for a in entry.parser()._actions}
        assert flags["cache_path"] == ["--cache"] and flags["n_shards"] == ["--shards"] and flags["shard"] == ["--shard"]
