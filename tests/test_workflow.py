"""Snakemake sees code changes, and the stage table used for experiment sharing matches the DAG."""

import re

from codealign import workflow

from conftest import Workflow, base_overlay


def test_a_stage_depends_on_the_modules_it_imports_and_no_others():
    closure = set(workflow.module_closure("codealign.seeds.dedup"))
    assert {"codealign.seeds.dedup", "codealign.dedup", "codealign.io", "codealign.stats", "codealign.records"} <= closure
    assert "codealign.seeds.filter" not in closure and "codealign.seeds.corpus" not in closure


def test_code_versions_differ_between_stages():
    versions = {m: workflow.code_version(m) for m in ("codealign.seeds.dedup", "codealign.seeds.filter", "codealign.seeds.corpus")}
    assert len(set(versions.values())) == 3


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
