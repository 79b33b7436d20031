"""Type-check standalone snippets with Pyright, in batches (one Pyright process per batch)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

# Pyright is a Node program that allocates heavily: a larger young generation means fewer garbage
# collections (measured on 2 cores, two processes over 1,000 functions each: 55 s instead of 60-64 s,
# the same verdicts). Appended to any NODE_OPTIONS the user set.
NODE_OPTIONS = ("--max-semi-space-size=64",)


class TypecheckerUnavailable(RuntimeError):
    pass


def _pyright_cmd() -> list[str]:
    exe = shutil.which("pyright", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if exe is None:
        raise TypecheckerUnavailable(
            "pyright is not installed. It is a dependency of codealign (`make setup` installs it); "
            "or turn the check off with seeds.filters.typecheck.enabled: false"
        )
    return [exe]


def version(timeout: float = 300) -> str:
    """Pyright's version; raises :class:`TypecheckerUnavailable` with the reason when it cannot run.

    The first call of the pip ``pyright`` wrapper may fetch Pyright itself from the npm registry,
    hence the generous timeout (``make setup`` does this once ahead of time).
    """
    cmd = _pyright_cmd() + ["--version"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise TypecheckerUnavailable(f"pyright cannot run: {err}") from err
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise TypecheckerUnavailable("pyright cannot run: " + " | ".join(tail))
    return proc.stdout.strip()


def typecheck(
    snippets: Mapping[str, str], *, mode: str = "basic", timeout_s: float = 600, node_options: tuple[str, ...] = NODE_OPTIONS
) -> dict[str, list[str]]:
    """Type-check each snippet as its own file; return id → error messages (empty list: clean).

    Raises ``subprocess.TimeoutExpired`` when the batch exceeds ``timeout_s``.
    """
    if not snippets:
        return {}
    with tempfile.TemporaryDirectory(prefix="codealign-pyright-") as tmp:
        root = Path(tmp)
        names = {}
        for i, (key, code) in enumerate(snippets.items()):
            name = f"s{i:06d}.py"
            (root / name).write_text(code)
            names[name] = key
        (root / "pyrightconfig.json").write_text(
            json.dumps(
                {
                    "typeCheckingMode": mode,
                    "pythonVersion": f"{sys.version_info.major}.{sys.version_info.minor}",
                    "reportMissingModuleSource": "none",
                }
            )
        )
        cmd = _pyright_cmd() + ["--outputjson", "--pythonpath", sys.executable, "-p", str(root / "pyrightconfig.json"), str(root)]
        env = {**os.environ, "NODE_OPTIONS": " ".join([os.environ.get("NODE_OPTIONS", ""), *node_options]).strip()}
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, cwd=root, env=env)
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError as err:
            raise TypecheckerUnavailable(f"pyright gave no report (exit {proc.returncode}): {proc.stderr[-500:]}") from err
    errors: dict[str, list[str]] = {key: [] for key in snippets}
    for diag in report.get("generalDiagnostics", []):
        if diag.get("severity") == "error":
            key = names.get(Path(diag.get("file", "")).name)
            if key is not None:
                errors[key].append(diag.get("message", "").splitlines()[0])
    return errors
