"""Glue the Snakefile needs from the package: code versions and experiment sharing.

Code versions
    Snakemake tracks a rule's ``script:`` file but not the modules that script imports.
    :func:`code_version` hashes the source of a stage module and, transitively, every
    ``codealign`` module it imports (found statically, without importing anything), plus the
    package files those modules declare they read in a literal ``PACKAGE_DATA`` tuple (the
    few-shot banks, the sandbox worker script). Rules pass it as a param, so editing
    ``codealign/seeds/filters.py`` or ``codealign/data/fewshot.yaml`` reruns the stages that use
    it and what depends on them — and nothing upstream or beside them.

Experiments
    ``config["experiments"]`` names variants of the base config. Each stage reads some config
    sections; two experiments share a stage's output when they agree on the sections of that
    stage and of everything upstream of it. :func:`owner` names the experiment whose directory
    holds the shared output (the first in config order), so ablations reuse upstream work.
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from codealign import config as cfglib

PACKAGE = "codealign"


_ROOT = Path(__file__).resolve().parent


@cache
def _module_file(name: str) -> Path | None:
    """The source file of a codealign module, found by path (nothing is imported)."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = _ROOT.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py") if len(parts) > 1 else None, base / "__init__.py"):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _imports_of(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{a.name}" for a in node.names)
    return {m for m in found if m == PACKAGE or m.startswith(PACKAGE + ".")}


@cache
def module_closure(module: str) -> tuple[str, ...]:
    """Every codealign module ``module`` imports, transitively (itself and parent packages included)."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(name)
        if path is None:
            continue
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(_imports_of(name, path))
    return tuple(sorted(seen))


@cache
def package_data(module: str) -> tuple[str, ...]:
    """The package files (relative to the codealign package) that ``module`` declares it reads."""
    path = _module_file(module)
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "PACKAGE_DATA" for t in node.targets):
            files = ast.literal_eval(node.value)
            missing = [f for f in files if not (_ROOT / f).is_file()]
            if missing:
                raise FileNotFoundError(f"{module}: PACKAGE_DATA names files that do not exist: {missing}")
            return tuple(files)
    return ()


@cache
def code_version(*modules: str) -> str:
    """A short hash of the source of ``modules``, all codealign modules they import, and the package
    data files those modules declare."""
    sha = hashlib.sha256()
    for name in sorted({m for module in modules for m in module_closure(module)}):
        sha.update(name.encode() + b"\0" + _module_file(name).read_bytes() + b"\0")
        for data in package_data(name):
            sha.update(data.encode() + b"\0" + (_ROOT / data).read_bytes() + b"\0")
    return sha.hexdigest()[:16]


def grow(base: int):
    """Resource function for a rule: ``base`` (mem_mb, or runtime in minutes) on the first attempt,
    twice that on the first retry, and so on — a job killed for memory or time gets more."""

    def resource(wildcards, attempt: int) -> int:
        return base * attempt

    return resource


@dataclass(frozen=True)
class Stage:
    """A stage of the DAG as far as experiment sharing is concerned."""

    sections: tuple[str, ...]
    upstream: tuple[str, ...] = ()


LLM = ("generation", "models", "random_seed")  # what every LLM stage reads besides its own section

# The DAG at the granularity of config sections. tests/test_workflow.py checks it against the
# rule graph Snakemake builds, so the two cannot drift apart.
STAGES: dict[str, Stage] = {
    "seeds_corpus": Stage(("seeds.corpus.sources",)),
    "seeds_extract": Stage(("seeds.corpus", "seeds.shards"), ("seeds_corpus",)),
    "seeds_filter": Stage(("seeds.filters",), ("seeds_extract",)),
    "seeds_signatures": Stage(("seeds.dedup.num_perm", "seeds.dedup.ngram"), ("seeds_filter",)),
    "seeds_dedup": Stage(("seeds.dedup",), ("seeds_filter", "seeds_signatures")),
    "seeds_decontaminate": Stage(("seeds.decontamination", "benchmarks"), ("seeds_dedup",)),
    "seeds_judge": Stage(LLM + ("seeds.judge",), ("seeds_decontaminate",)),
    "seeds_judge_gather": Stage(("seeds.judge", "random_seed"), ("seeds_judge", "seeds_decontaminate")),
    "seeds_funnel": Stage((), ("seeds_extract", "seeds_filter", "seeds_dedup", "seeds_decontaminate", "seeds_judge_gather")),
    "instruct_concepts": Stage(LLM + ("instruct",), ("seeds_judge_gather",)),
    "instruct_concepts_gather": Stage((), ("instruct_concepts",)),
    "instruct_instructions": Stage(LLM + ("instruct",), ("instruct_concepts_gather", "seeds_judge_gather")),
    "instruct_instructions_gather": Stage((), ("instruct_instructions",)),
    "responses": Stage(LLM + ("responses",), ("instruct_instructions_gather",)),
    "responses_gather": Stage((), ("responses",)),
    "execution": Stage(("execution",), ("responses",)),
    "execution_gather": Stage((), ("execution",)),
    "selection_candidates": Stage(("selection", "random_seed"), ("instruct_instructions_gather", "responses", "execution")),
    "selection": Stage(("selection", "seeds.decontamination", "benchmarks"), ("instruct_instructions_gather", "selection_candidates")),
    "codeocean_raw": Stage(("codeocean.corpus",)),
    "codeocean_embed": Stage(
        ("codeocean.coreset.embedding_model", "codeocean.coreset.batch_size", "codeocean.coreset.max_chars"), ("codeocean_raw",)
    ),
    "codeocean_coreset": Stage(
        ("codeocean.coreset.k", "codeocean.coreset.chunk_size", "random_seed"), ("codeocean_raw", "codeocean_embed")
    ),
    "codeocean_generate": Stage(
        LLM + ("codeocean.generate", "codeocean.discriminate", "codeocean.fewshot_bank", "codeocean.shards", "execution"),
        ("codeocean_raw", "codeocean_coreset"),
    ),
    "codeocean_gather": Stage((), ("codeocean_generate",)),
    "codeocean_sft": Stage(("seeds.decontamination", "benchmarks"), ("codeocean_gather",)),
    "train": Stage(("train", "models", "random_seed"), ("selection", "codeocean_sft")),
    "eval_tasks": Stage(("eval", "benchmarks"), ()),
    "eval_base": Stage(LLM + ("eval",), ("eval_tasks",)),
    "eval_tuned": Stage(LLM + ("eval",), ("eval_tasks", "train")),
    "eval_score_base": Stage(("execution",), ("eval_base",)),
    "eval_score_tuned": Stage(("execution",), ("eval_tuned",)),
    "eval_report": Stage((), ("eval_score_base", "eval_score_tuned", "train")),
    "figures_selfalign": Stage(
        (),
        (
            "seeds_funnel",
            "seeds_judge_gather",
            "instruct_instructions_gather",
            "responses_gather",
            "execution_gather",
            "selection",
            "eval_report",
        ),
    ),
    "figures_codeocean": Stage((), ("codeocean_gather",)),
    "figures_ablations": Stage((), ("selection", "eval_report")),
    # per experiment by construction (it records the experiment's whole config), never shared
    "provenance": Stage(("experiments",), ("selection", "eval_report", "codeocean_sft", "execution_gather")),
    "effective_config": Stage(("experiments",), ()),
    # per experiment, like provenance: each experiment's report browses its own data
    "report_browser": Stage(
        ("experiments", "random_seed"),
        (
            "seeds_funnel",
            "seeds_judge_gather",
            "instruct_concepts_gather",
            "instruct_instructions_gather",
            "responses_gather",
            "execution_gather",
            "selection",
            "codeocean_gather",
        ),
    ),
}

# Rules whose outputs belong to different stages depending on a wildcard (the model evaluated).
RULE_STAGES = {"eval_generate": ("eval_base", "eval_tuned"), "eval_score": ("eval_score_base", "eval_score_tuned")}


def closure(stage: str) -> list[str]:
    """``stage`` and everything upstream of it."""
    out, todo = [], [stage]
    while todo:
        name = todo.pop()
        if name not in out:
            out.append(name)
            todo.extend(STAGES[name].upstream)
    return sorted(out)


def signature(effective: dict, stage: str) -> str:
    """Hash of the config sections that ``stage`` and its upstream read, under one experiment."""
    view = {}
    for name in closure(stage):
        for section in STAGES[name].sections:
            try:
                view[section] = cfglib.get(effective, section)
            except KeyError:
                view[section] = None
    return hashlib.sha256(json.dumps(view, sort_keys=True, default=str).encode()).hexdigest()[:16]


def owner(experiments: dict[str, dict], experiment: str, stage: str) -> str:
    """The experiment whose directory holds ``stage``'s output for ``experiment``."""
    mine = signature(experiments[experiment], stage)
    for name, effective in experiments.items():
        if signature(effective, stage) == mine:
            return name
    return experiment
