"""Extraction keeps top-level functions whose first statement is a docstring, with their facts."""

import pytest
from seedutil import document, stdlib_seed

from codealign.seeds.extract import extract

SOURCE = '''
import re
import math as m
from collections import OrderedDict, defaultdict
try:
    import json
except ImportError:
    json = None

LIMIT = 10


def area(r):
    """Area of a circle of radius r."""
    return m.pi * r ** 2


def no_doc(x):
    return x


class Box:
    def method(self):
        """Methods are not top-level functions."""
        return 1


def words(text, *rest, sep=None, **kw):
    """Split text on runs of whitespace, count them."""
    counts = defaultdict(int)
    for w in re.split(r"\\s+", text):
        counts[w] += 1
    def inner():
        return 42
    return dict(counts) if LIMIT else json.dumps(counts)


async def fetch(url):
    """Fetch a URL (async functions count too)."""
    await something(url)
'''


def by_name():
    seeds, reason, n_functions = extract(document(SOURCE))
    assert reason is None
    assert n_functions == 4
    return {s.name: s for s in seeds}


def test_only_top_level_functions_with_a_docstring():
    assert set(by_name()) == {"area", "words", "fetch"}


def test_the_imports_a_function_uses_come_with_it():
    seeds = by_name()
    assert seeds["area"].imports == ["import math as m"]
    assert seeds["area"].code.startswith("import math as m\n\n\ndef area(r):")
    assert seeds["words"].imports == ["import json", "import re", "from collections import defaultdict"]


def test_globals_no_import_binds_are_recorded():
    seeds = by_name()
    assert seeds["words"].free_names == ["LIMIT"]
    assert seeds["fetch"].free_names == ["something"]
    assert seeds["area"].free_names == []


def test_facts_the_filters_use():
    seeds = by_name()
    assert seeds["words"].n_args == 4
    assert seeds["area"].n_args == 1
    assert seeds["area"].returns_value and seeds["words"].returns_value
    assert not seeds["fetch"].returns_value
    assert seeds["area"].n_lines == 3
    assert seeds["area"].lineno == 13


def test_a_return_in_a_nested_def_is_not_the_functions_own():
    src = 'def outer(x):\n    """Doc."""\n    def helper():\n        return x\n    helper()\n'
    (seed,), _, _ = extract(document(src))
    assert not seed.returns_value


def test_id_is_the_content_hash_of_the_function():
    a, _, _ = extract(document("def f(x):\n    'doc'\n    return x\n"))
    b, _, _ = extract(document("import os\n\n\ndef f(x):\n    'doc'\n    return x\n", path="other.py"))
    assert a[0].seed_id == b[0].seed_id and a[0].lineno != b[0].lineno


def test_real_stdlib_function_with_its_imports():
    seed = stdlib_seed("email/_parseaddr.py", "mktime_tz")
    assert seed.imports == ["import calendar", "import time"]
    assert seed.docstring.startswith("Turn a 10-tuple as returned by parsedate_tz() into a POSIX timestamp.")


def test_unparsable_documents_are_dropped_with_their_reason():
    assert extract(document("def broken(:\n"))[1] == "syntax_error"
    assert extract(document("x = 1\0\n"))[1] == "null_bytes"
    assert extract(document("x = " + "(" * 300 + ")" * 300))[1] in ("too_deep", "syntax_error")


@pytest.mark.parametrize("char", ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_a_line_break_the_parser_ignores_does_not_shift_the_slice(char):
    source = f'# a comment{char}with a break the parser does not count\nX = 1\n\n\ndef area(r):\n    """Area."""\n    return 3 * r * r\n'
    seeds, reason, _ = extract(document(source))
    assert reason is None and [s.code for s in seeds] == ['def area(r):\n    """Area."""\n    return 3 * r * r\n']


def test_carriage_returns_count_as_the_parser_counts_them():
    source = "X = 1\r\n\r\ndef f(a):\r\n    'Doc.'\r\n    return a\r\nY = 2\rdef g(b):\r    'Doc.'\r    return b\r"
    seeds, _, _ = extract(document(source))
    assert [s.code for s in seeds] == ["def f(a):\n    'Doc.'\n    return a\n", "def g(b):\n    'Doc.'\n    return b\n"]


def test_a_killed_shard_resumes_at_the_part_it_had_reached(tmp_path, monkeypatch):
    from codealign import io
    from codealign.seeds import corpus
    from codealign.seeds import extract as extract_mod

    src = tmp_path / "src"
    src.mkdir()
    for i in range(7):
        (src / f"m{i}.py").write_text(f'def f{i}(x):\n    """Add {i}."""\n    return x + {i}\n')
    cfg = {"max_file_bytes": 10**6, "sources": [{"kind": "files", "paths": [str(src)]}]}
    corpus.run(out=str(tmp_path / "manifest.parquet"), cfg=cfg)
    monkeypatch.setattr(extract_mod, "PART_FILES", 3)  # parts of 3, 3 and 1 files
    kw = dict(
        manifest=str(tmp_path / "manifest.parquet"),
        shard=0,
        n_shards=1,
        cfg=cfg,
        out=str(tmp_path / "raw.parquet"),
        stats_path=str(tmp_path / "raw.stats.json"),
        corpus_stats_path=str(tmp_path / "corpus.stats.json"),
        parts_dir=str(tmp_path / "parts"),
        version="v1",
    )
    real, calls = extract_mod.extract_part, []

    def dies_on_the_second_part(units, cfg, threads):
        calls.append(len(units))
        if len(calls) == 2:
            raise KeyboardInterrupt  # the job is killed
        return real(units, cfg, threads)

    monkeypatch.setattr(extract_mod, "extract_part", dies_on_the_second_part)
    with pytest.raises(KeyboardInterrupt):
        extract_mod.run_shard(**kw)
    assert not (tmp_path / "raw.parquet").exists()
    monkeypatch.setattr(extract_mod, "extract_part", lambda units, cfg, threads: (calls.append(len(units)), real(units, cfg, threads))[1])
    stats = extract_mod.run_shard(**kw)
    assert calls == [3, 3, 3, 1]  # the rerun skipped the finished first part
    assert stats.extra["parts_reused"] == 1 and stats.n_out == 7
    assert [r["name"] for r in io.read_rows(tmp_path / "raw.parquet")] == [f"f{i}" for i in range(7)]
    assert not (tmp_path / "parts").exists()
    calls.clear()
    extract_mod.run_shard(**{**kw, "version": "v2"})  # other code: nothing is reused
    assert calls == [3, 3, 1]
