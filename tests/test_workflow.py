"""Snakemake sees code changes, and the stage table used for experiment sharing matches the DAG."""

import re
import shutil

import pytest
from conftest import REPO, Workflow, base_overlay

from codealign import workflow

# Every stage module a rule hashes into its code version.
STAGE_MODULES = sorted(set(re.findall(r'code_version\("([\w.]+)"\)', "".join(p.read_text() for p in (REPO / "rules").glob("*.smk")))))
CACHED = (workflow._module_file, workflow.module_closure, workflow.package_data, workflow.code_version)


def test_a_stage_depends_on_the_modules_it_imports_and_no_others():
    closure = set(workflow.module_closure("codealign.seeds.dedup"))
    assert {"codealign.seeds.dedup", "codealign.algorithms.dedup", "codealign.io", "codealign.stats", "codealign.records"} <= closure
    assert "codealign.seeds.filter" not in closure and "codealign.seeds.corpus" not in closure


def test_code_versions_differ_between_stages():
    versions = {m: workflow.code_version(m) for m in ("codealign.seeds.dedup", "codealign.seeds.filter", "codealign.seeds.corpus")}
    assert len(set(versions.values())) == 3


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """A copy of the codealign package that code versions are computed from, for editing."""
    root = tmp_path / "codealign"
    shutil.copytree(workflow._ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(workflow, "_ROOT", root)
    for function in CACHED:
        function.cache_clear()
    yield root
    for function in CACHED:
        function.cache_clear()


def stages_rerun_by_editing(root, relative_path):
    before = {m: workflow.code_version(m) for m in STAGE_MODULES}
    path = root / relative_path
    path.write_text(path.read_text() + "\n# an edit\n")
    for function in CACHED:
        function.cache_clear()
    return {m for m in STAGE_MODULES if workflow.code_version(m) != before[m]}


def test_the_sandbox_worker_script_versions_the_stages_that_run_programs(package_copy):
    assert stages_rerun_by_editing(package_copy, "sandbox/worker.py") == {
        "codealign.selfalign.execution",
        "codealign.codeocean.generate",
        "codealign.evaluate.stage",
    }


def test_a_shipped_fewshot_bank_versions_exactly_the_stages_that_prompt_with_it(package_copy):
    assert stages_rerun_by_editing(package_copy, "data/fewshot.yaml") == {"codealign.selfalign.instruct", "codealign.selfalign.responses"}
    assert stages_rerun_by_editing(package_copy, "data/judge_fewshot.yaml") == {"codealign.seeds.judge"}
    assert stages_rerun_by_editing(package_copy, "data/codeocean_fewshot.yaml") == {"codealign.codeocean.generate"}


def test_a_package_data_declaration_naming_a_missing_file_is_an_error(package_copy):
    module = package_copy / "selfalign/responses.py"
    module.write_text(module.read_text().replace('PACKAGE_DATA = ("data/fewshot.yaml",)', 'PACKAGE_DATA = ("data/gone.yaml",)'))
    with pytest.raises(FileNotFoundError, match="data/gone.yaml"):
        workflow.code_version("codealign.selfalign.responses")


def test_a_configured_fewshot_bank_is_an_input_of_the_rules_that_read_it(tmp_path):
    wf = Workflow(tmp_path)
    bank = tmp_path / "my-bank.yaml"
    bank.write_text((REPO / "src/codealign/data/fewshot.yaml").read_text())
    overlay = {**base_overlay(), "instruct": {"fewshot_bank": str(bank)}}
    proc = wf.run("--dry-run", config=wf.write_config(overlay))
    inputs_of: dict[str, list[str]] = {}
    for rule, inputs in re.findall(r"^rule (\w+):\n\s+input: (.*)$", proc.stdout, re.M):
        inputs_of.setdefault(rule, []).append(inputs)
    for rule in ("instruct_concepts", "instruct_instructions"):
        assert inputs_of[rule] and all(str(bank) in inputs for inputs in inputs_of[rule]), rule
    for rule in ("seeds_judge", "responses"):
        assert inputs_of[rule] and not any(str(bank) in inputs for inputs in inputs_of[rule]), rule


def rule_graph(wf: Workflow) -> dict[str, set[str]]:
    # two experiments, so that the cross-experiment figure is in the graph too
    overlay = {**base_overlay(), "experiments": {"default": {}, "select-random": {"selection": {"mode": "random"}}}}
    proc = wf.run("--rulegraph", config=wf.write_config(overlay))
    names = dict(re.findall(r'^\s*(\d+)\[label = "(\w+)"', proc.stdout, re.M))
    upstream: dict[str, set[str]] = {name: set() for name in names.values()}
    for src, dst in re.findall(r"^\s*(\d+) -> (\d+)", proc.stdout, re.M):
        upstream[names[dst]].add(names[src])
    return upstream


def reachable(graph, stage):
    seen, todo = set(), list(graph.get(stage, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


def test_stage_table_matches_the_rule_graph(tmp_path):
    graph = rule_graph(Workflow(tmp_path))
    graph.pop("all")
    graph.pop("model_prepare")  # shared by every experiment: results/models/<name>
    for deps in graph.values():
        deps.discard("model_prepare")
    # a rule whose outputs belong to different stages (per evaluated model) stands for all of them
    stages_of = {rule: workflow.RULE_STAGES.get(rule, (rule,)) for rule in graph}
    assert {s for stages in stages_of.values() for s in stages} == set(workflow.STAGES)
    for rule, deps in graph.items():
        upstream_stages = {s for d in deps for s in stages_of[d]}
        closure = {s for stage in stages_of[rule] for s in workflow.closure(stage)}
        # every input edge is inside the table's closure, so experiments never share a wrong output …
        assert upstream_stages <= closure, rule
        # … and the table names no dependency the DAG does not have
        reached = {s for r in reachable(graph, rule) for s in stages_of[r]}
        for stage in stages_of[rule]:
            assert set(workflow.STAGES[stage].upstream) <= reached, (rule, stage)


def test_owner_is_the_first_experiment_with_the_same_upstream_config():
    base = {"seeds": {"dedup": {"threshold": 0.5}, "corpus": {}, "filters": {}, "decontamination": {}}, "benchmarks": {}}
    strict = {**base, "seeds": {**base["seeds"], "dedup": {"threshold": 0.9}}}
    experiments = {"default": base, "copy": base, "strict": strict}
    assert workflow.owner(experiments, "copy", "seeds_funnel") == "default"
    assert workflow.owner(experiments, "strict", "seeds_filter") == "default"
    assert workflow.owner(experiments, "strict", "seeds_dedup") == "strict"
