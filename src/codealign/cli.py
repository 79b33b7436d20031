"""One declaration of how a stage function is called, shared by its rule's script and ``python -m``.

Each stage module declares an :class:`Entry` beside its function: which keyword arguments are the
rule's inputs, outputs, params, wildcards and config sections, under the rule's own names. The
rule's script is then one line, ``ENTRY.from_snakemake(snakemake)``, and the same stage runs by
hand with a command line that mirrors the rule::

    python -m codealign.seeds.filter --seeds results/default/seeds/raw/shard-0.parquet \\
        --filtered results/default/seeds/filtered/shard-0.parquet \\
        --stats results/default/seeds/filtered/shard-0.stats.json

By hand, a config section the rule passes as a param is read from the workflow config (the
embedded ``config.yaml`` unless ``--config`` says otherwise, plus ``--overlay`` files) for
``--experiment``. ``tests/test_cli.py`` checks every declaration against its rule, so the three
cannot drift apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from codealign import config as cfglib
from codealign import logs

# A config argument is a dotted section of the experiment's effective config, or a function of
# (effective config, the job's wildcards with its experiment) for a value the rule's param function
# builds (from several sections, or from the section a wildcard names).
ConfigSource = str | Callable[[dict, dict[str, str]], Any]


@dataclass(frozen=True)
class Entry:
    """How a stage function is called. Every mapping goes from the function's keyword argument to
    the rule's name for it (``inputs``/``outputs``: names in ``input:``/``output:``; ``params``:
    a rule param; ``wildcards``: a wildcard), except ``config``, which maps an argument to the
    config section it is (the rule passes it as a param of the argument's own name).
    ``threads`` comes from the job; ``resources`` from the job's resources. The entry, not the
    stage, sets up the job's log (the rule's ``log:``, or ``--log`` by hand) before the call.

    ``bundle`` names an argument that is a dataclass shared by several stages (the LLM shard
    contract, :class:`codealign.generation.llmstage.ShardArgs`): its fields are declared and passed
    like arguments of their own, and the entry builds the dataclass from them."""

    func: Callable
    inputs: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    config: Mapping[str, ConfigSource] = field(default_factory=dict)
    wildcards: Mapping[str, str] = field(default_factory=dict)
    resources: Mapping[str, str] = field(default_factory=dict)
    bundle: tuple[str, type] | None = None

    def arguments(self) -> dict[str, inspect.Parameter]:
        """The arguments a rule or command line gives: the function's, a bundle's fields in its place."""
        params = dict(inspect.signature(self.func).parameters)
        if self.bundle is None:
            return params
        name, cls = self.bundle
        if name not in params or not dataclasses.is_dataclass(cls):
            raise TypeError(f"{self.func.__qualname__}: no dataclass argument {name!r} to bundle")
        fields = {
            f.name: inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default,
                annotation=f.type,
            )
            for f in dataclasses.fields(cls)
        }
        return {**{k: v for k, v in params.items() if k != name}, **fields}

    def __post_init__(self) -> None:
        accepted = set(self.arguments())
        declared = [*self.inputs, *self.outputs, *self.params, *self.config, *self.wildcards, *self.resources]
        unknown = [name for name in declared if name not in accepted]
        if unknown or len(declared) != len(set(declared)):
            raise TypeError(f"{self.func.__qualname__}: declared arguments {unknown or declared} do not match its signature")
        flags = [*self.inputs.values(), *self.outputs.values(), *self.params.values(), *self.wildcards.values()]
        if len(flags) != len(set(flags)):  # an input and an output of one name would be one command-line flag
            raise TypeError(f"{self.func.__qualname__}: the rule's names {flags} repeat")

    def _annotation(self, argument: str) -> str:
        annotation = self.arguments()[argument].annotation
        return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))

    def _cast(self, argument: str) -> type:
        return int if self._annotation(argument) == "int" else str

    def _is_list(self, argument: str) -> bool:
        return self._annotation(argument).startswith("list")

    def _call(self, kwargs: dict[str, Any], threads: int, log_file: str | None) -> Any:
        logs.setup(log_file)
        if "threads" in self.arguments():
            kwargs["threads"] = threads
        if self.bundle is not None:
            name, cls = self.bundle
            fields = {f.name for f in dataclasses.fields(cls)}
            kwargs = {**{k: v for k, v in kwargs.items() if k not in fields}, name: cls(**{k: v for k, v in kwargs.items() if k in fields})}
        return self.func(**kwargs)

    def from_snakemake(self, smk) -> Any:
        """Call the stage with a Snakemake job's inputs, outputs, params and wildcards."""
        kwargs: dict[str, Any] = {}
        optional = {k for k, v in self.arguments().items() if v.default is not inspect.Parameter.empty}
        for source, names in ((smk.input, self.inputs), (smk.output, self.outputs)):
            for argument, name in names.items():
                if argument in optional and (name not in source.keys() or (not self._is_list(argument) and not source[name])):
                    continue  # an input the rule adds only when there is one (the training sets, a local model)
                kwargs[argument] = list(source[name]) if self._is_list(argument) else source[name]
        kwargs.update({argument: smk.params[name] for argument, name in self.params.items()})
        kwargs.update({argument: smk.params[argument] for argument in self.config})
        kwargs.update({argument: self._cast(argument)(smk.wildcards[name]) for argument, name in self.wildcards.items()})
        kwargs.update({argument: smk.resources.get(name) for argument, name in self.resources.items()})
        return self._call(kwargs, smk.threads, smk.log[0] if smk.log else None)

    def parser(self, prog: str | None = None) -> argparse.ArgumentParser:
        doc = inspect.getdoc(self.func) or ""
        p = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
        defaults = {k: v.default for k, v in self.arguments().items() if v.default is not inspect.Parameter.empty}
        for names in (self.inputs, self.outputs, self.params):
            for argument, name in names.items():
                listed = self._is_list(argument)
                p.add_argument(
                    f"--{name}",
                    dest=argument,
                    nargs="+" if listed else None,
                    type=int if self._annotation(argument) == "int" else None,
                    required=argument not in defaults,
                    default=defaults.get(argument),
                )
        for argument, name in self.wildcards.items():  # a shard number defaults to the first shard
            cast = self._cast(argument)
            p.add_argument(f"--{name}", dest=argument, type=cast, required=cast is not int, default=0 if cast is int else None)
        for argument, name in self.resources.items():
            p.add_argument(f"--{name.replace('_', '-')}", dest=argument, type=int, default=defaults.get(argument))
        p.add_argument("--config", help="workflow config (default: the embedded config.yaml)")
        p.add_argument("--overlay", action="append", default=[], help="config overlays merged in order")
        p.add_argument("--experiment", default="default", help="experiment whose effective config to use")
        p.add_argument("--log", help="also write the log here")
        p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
        return p

    def main(self, argv: list[str] | None = None, prog: str | None = None) -> Any:
        """Run the stage by hand: arguments named as in its rule, config sections from the config."""
        args = self.parser(prog).parse_args(argv)
        kwargs = {k: v for k, v in vars(args).items() if k not in ("config", "overlay", "experiment", "log", "threads")}
        if self.config:
            effective = experiment_config(args.config, args.overlay, args.experiment)
            wildcards = {"experiment": args.experiment, **{name: str(kwargs[argument]) for argument, name in self.wildcards.items()}}
            for argument, source in self.config.items():
                kwargs[argument] = source(effective, wildcards) if callable(source) else cfglib.get(effective, source)
        return self._call(kwargs, args.threads, args.log)


def experiment_config(config: str | None, overlays: list[str], experiment: str) -> dict:
    """The effective, validated config of ``experiment`` (as the workflow merges it). Its paths are
    not checked here: they are relative to the run's directory, and a stage reports a missing file
    it reads itself."""
    experiments = cfglib.experiment_configs(cfglib.load(config, overlays, check=False))
    if experiment not in experiments:
        raise SystemExit(f"unknown experiment {experiment!r}; config defines {sorted(experiments)}")
    return experiments[experiment]


def main(entries: Mapping[str, Entry], argv: list[str] | None = None, prog: str | None = None) -> Any:
    """A module with several stages: ``python -m <module> <step> ...`` runs the entry named ``step``."""
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in entries:
        raise SystemExit(f"usage: {prog or 'python -m <module>'} {{{','.join(entries)}}} [arguments]")
    return entries[argv[0]].main(argv[1:], prog=f"{prog} {argv[0]}" if prog else argv[0])
