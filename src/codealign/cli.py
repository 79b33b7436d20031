"""What every stage's command line shares: ``--config``/``--overlay``/``--experiment``/``--log``.

A stage runs by hand with the same arguments as its rule, e.g.::

    python -m codealign.seeds.filter --seeds results/default/seeds/raw/shard-0.parquet \\
        --out results/default/seeds/filtered/shard-0.parquet --stats results/default/seeds/filtered/shard-0.stats.json

The config section the rule would pass as a param is read from the workflow config (the
embedded ``config.yaml`` unless ``--config`` says otherwise), for the chosen experiment.
"""

from __future__ import annotations

import argparse
import os

from codealign import config as cfglib


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--config", help="workflow config (default: the embedded config.yaml)")
    p.add_argument("--overlay", action="append", default=[], help="config overlays merged in order")
    p.add_argument("--experiment", default="default", help="experiment whose effective config to use")
    p.add_argument("--log", help="also write the log here")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    return p


def section(args: argparse.Namespace, dotted: str, *, check_paths: bool = True):
    """The effective config section ``dotted`` for ``args.experiment``."""
    config = cfglib.load(args.config, args.overlay, check=check_paths)
    experiments = cfglib.experiment_configs(config)
    if args.experiment not in experiments:
        raise SystemExit(f"unknown experiment {args.experiment!r}; config defines {sorted(experiments)}")
    return cfglib.get(experiments[args.experiment], dotted)


def full(args: argparse.Namespace, *, check_paths: bool = True) -> dict:
    """The effective config of ``args.experiment``."""
    config = cfglib.load(args.config, args.overlay, check=check_paths)
    return cfglib.experiment_configs(config)[args.experiment]
