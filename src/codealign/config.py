"""Workflow configuration: JSON-schema validation with defaults, path checks, experiments.

The same functions serve the Snakefile (``rules/common.smk``) and every stage's command line,
so a config that Snakemake accepts is exactly a config that ``python -m codealign.<stage>``
accepts. Errors name the dotted key (``seeds.dedup.threshold``) and the rules that read it.
"""

from __future__ import annotations

import copy
import difflib
import glob
import os
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_RESOURCE = "config.schema.yaml"


class ConfigError(ValueError):
    """A configuration that cannot run. The message lists every problem, one per line."""


def load_schema() -> dict:
    """The config schema shipped with the package (``codealign/schema/config.schema.yaml``)."""
    text = resources.files("codealign.schema").joinpath(SCHEMA_RESOURCE).read_text()
    return yaml.safe_load(text)


def _with_defaults(validator_class):
    """Extend a validator so that validation also fills in ``default`` values (jsonschema FAQ)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_DefaultingValidator = _with_defaults(jsonschema.Draft202012Validator)


def _dotted(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<top level>"


def _schema_at(schema: dict, path) -> list[dict]:
    """The chain of subschemas from the root along an instance path (best effort)."""
    chain = [schema]
    node = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            props = dict(node.get("properties", {}))
            for branch in node.get("allOf", []):
                props.update(branch.get("then", {}).get("properties", {}))
            if part in props:
                node = props[part]
            elif isinstance(node.get("additionalProperties"), dict):
                node = node["additionalProperties"]
            else:
                break
        chain.append(node)
    return chain


def _rules_for(schema: dict, path) -> list[str]:
    for node in reversed(_schema_at(schema, path)):
        if "x-rules" in node:
            return list(node["x-rules"])
    return []


def _describe(error: jsonschema.ValidationError, schema: dict, prefix: str) -> list[str]:
    path = list(error.absolute_path)
    rules = _rules_for(schema, path)
    suffix = f" (read by rule {', '.join(rules)})" if rules else ""
    where = _dotted(path)
    if prefix:
        where = f"{prefix}.{where}" if path else prefix
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {}))
        lines = []
        for key in sorted(set(error.instance) - set(known)):
            key_path = f"{where}.{key}" if path or prefix else key
            hint = difflib.get_close_matches(key, known, n=1)
            did_you_mean = f" (did you mean '{hint[0]}'?)" if hint else ""
            lines.append(f"{key_path}: unknown key{did_you_mean}{suffix}")
        return lines
    return [f"{where}: {error.message}{suffix}"]


def _resolve(schema: dict, node: dict) -> dict:
    ref = node.get("$ref")
    if ref and ref.startswith("#/$defs/"):
        return {**schema["$defs"][ref.split("/")[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _nullable(node: dict) -> bool:
    types = node.get("type")
    return (isinstance(types, list) and "null" in types) or types == "null" or None in node.get("enum", ())


def apply_resets(node: Any, sub: dict, schema: dict) -> Any:
    """Overlays merge recursively (Snakemake's ``--configfile`` and :func:`deep_merge` alike), so an
    overlay cannot clear an inherited mapping by writing ``{}``. Two spellings replace instead:

    - ``key: null`` where the schema does not take null: the key's schema default;
    - ``key: all`` where the schema marks the key with ``x-all``: that value (``eval.subset: all``).

    Lists always replace. Returns ``node`` with every such value replaced, in place.
    """
    sub = _resolve(schema, sub)
    if isinstance(node, dict):
        props = dict(sub.get("properties", {}))
        for branch in sub.get("allOf", []):
            if "then" in branch and _matches(node, branch.get("if", {})):
                props.update(branch["then"].get("properties", {}))
        extra = sub.get("additionalProperties")
        for key in list(node):
            child = props.get(key, extra if isinstance(extra, dict) else None)
            if child is None:
                continue
            child = _resolve(schema, child)
            value = node[key]
            if value is None and not _nullable(child) and "default" in child:
                node[key] = copy.deepcopy(child["default"])
            elif isinstance(value, str) and value == "all" and "x-all" in child:
                node[key] = copy.deepcopy(child["x-all"])
            else:
                node[key] = apply_resets(value, child, schema)
    elif isinstance(node, list) and isinstance(sub.get("items"), dict):
        for i, value in enumerate(node):
            node[i] = apply_resets(value, sub["items"], schema)
    return node


def validate(config: dict, *, prefix: str = "") -> dict:
    """Validate ``config`` in place against the schema, filling defaults; return it.

    Overlay resets (``null``, ``all``; see :func:`apply_resets`) are applied first. Raises
    :class:`ConfigError` listing every problem with its dotted key.
    """
    schema = load_schema()
    apply_resets(config, schema, schema)
    errors = sorted(_DefaultingValidator(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [line for e in errors for line in _describe(e, schema, prefix)]
        raise ConfigError("Invalid configuration:\n  - " + "\n  - ".join(lines))
    return config


def _iter_paths(node: Any, schema: dict, path: list) -> Iterator[tuple[list, str, str]]:
    """Yield (key path, kind, value) for every value the schema marks with ``x-path``."""
    kind = schema.get("x-path")
    if kind and isinstance(node, str):
        yield path, kind, node
    if isinstance(node, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, value in node.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                yield from _iter_paths(value, sub, path + [key])
    elif isinstance(node, list):
        items = schema.get("items", {})
        for i, value in enumerate(node):
            yield from _iter_paths(value, items, path + [i])
    for branch in schema.get("allOf", []):
        if isinstance(node, dict) and "then" in branch and _matches(node, branch.get("if", {})):
            yield from _iter_paths(node, branch["then"], path)


def _matches(node: dict, condition: dict) -> bool:
    const = {k: v.get("const") for k, v in condition.get("properties", {}).items() if "const" in v}
    return bool(const) and all(node.get(k) == v for k, v in const.items())


def resolve_path(value: str) -> str:
    """Resolve a config path value; ``package:<module>/<file>`` names a file a package ships."""
    if value.startswith("package:"):
        module, _, rel = value[len("package:") :].partition("/")
        try:
            return str(resources.files(module).joinpath(rel))
        except ModuleNotFoundError as err:
            raise FileNotFoundError(f"package {module!r} is not installed") from err
    return os.path.expanduser(value)


def check_paths(config: dict) -> None:
    """Fail with every missing file, directory or empty glob named by its key."""
    schema = load_schema()
    problems = []
    for path, kind, value in _iter_paths(config, schema, []):
        rules = _rules_for(schema, path)
        suffix = f" (read by rule {', '.join(rules)})" if rules else ""
        try:
            resolved = resolve_path(value)
        except FileNotFoundError as err:
            problems.append(f"{_dotted(path)}: {err}{suffix}")
            continue
        if kind == "glob":
            if not glob.glob(resolved, recursive=True):
                problems.append(f"{_dotted(path)}: no file matches {value!r}{suffix}")
        elif kind == "file" and not os.path.isfile(resolved):
            problems.append(f"{_dotted(path)}: file not found: {value!r}{suffix}")
        elif kind == "dir" and not os.path.isdir(resolved):
            problems.append(f"{_dotted(path)}: directory not found: {value!r}{suffix}")
    if problems:
        raise ConfigError("Missing inputs:\n  - " + "\n  - ".join(problems))


def deep_merge(base: Mapping, overrides: Mapping) -> dict:
    """A new dict: ``overrides`` merged into ``base`` (dicts recursively, everything else replaced)."""
    out = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def experiment_configs(config: dict) -> dict[str, dict]:
    """The effective, validated config of every named experiment (base merged with its overrides)."""
    base = {k: v for k, v in config.items() if k != "experiments"}
    out = {}
    for name, overrides in config["experiments"].items():
        effective = deep_merge(base, overrides or {})
        effective["experiments"] = {name: {}}
        validate(effective, prefix=f"experiments.{name}")
        out[name] = effective
    return out


def get(config: Mapping, dotted: str) -> Any:
    """``get(cfg, "seeds.dedup")`` → ``cfg["seeds"]["dedup"]``."""
    node: Any = config
    for part in dotted.split("."):
        node = node[part]
    return node


def load(path: str | os.PathLike | None = None, overlays: list[str | os.PathLike] = (), *, check: bool = True) -> dict:
    """Load the embedded default (or ``path``), merge ``overlays`` in order, validate, check paths."""
    base_path = Path(path) if path else Path(__file__).resolve().parents[2] / "config.yaml"
    config = yaml.safe_load(base_path.read_text()) or {}
    for overlay in overlays:
        config = deep_merge(config, yaml.safe_load(Path(overlay).read_text()) or {})
    validate(config)
    if check:
        check_paths(config)
    return config
