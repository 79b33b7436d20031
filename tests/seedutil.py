"""Seeds taken from the interpreter's own standard library, exactly as the pipeline extracts them."""

import sysconfig
from dataclasses import replace
from pathlib import Path

from codealign.records import Document
from codealign.seeds.extract import extract

STDLIB = Path(sysconfig.get_paths()["stdlib"])

FILTERS = {
    "returns_value": True,
    "min_arguments": 1,
    "max_lines": 150,
    "banned_words": ["todo", "fixme", "bug"],
    "banned_words_match": "substring",
    "banned_imports": ["argparse", "os", "subprocess", "sys", "setuptools", "distutils", "matplotlib", "seaborn"],
    "autoimport": {"enabled": True, "timeout_s": 10},
    "typecheck": {"enabled": True, "mode": "basic", "batch_size": 250, "timeout_s": 600},
}


def document(text: str, path: str = "snippet.py") -> Document:
    return Document(doc_id="d", source="test", repo="", path=path, license="", content=text)


def stdlib_seed(relpath: str, name: str):
    """The seed the pipeline extracts for function ``name`` of stdlib file ``relpath``."""
    seeds, reason, _ = extract(document((STDLIB / relpath).read_text(), relpath))
    assert reason is None, reason
    matches = [s for s in seeds if s.name == name]
    assert matches, f"{name} not extracted from {relpath}"
    return matches[0]


def with_code(seed, code):
    return replace(seed, code=code)
