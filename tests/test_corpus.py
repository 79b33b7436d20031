"""The corpus reads files, globs and Stack-layout datasets; bad files are counted, not fatal."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from codealign.records import content_id
from codealign.seeds import corpus
from codealign.stats import Stats

CFG = {"max_file_bytes": 2000, "batch_documents": 2}


def write_tree(root):
    (root / "pkg").mkdir()
    (root / "pkg" / "a.py").write_text("def f(x):\n    'doc'\n    return x\n")
    (root / "pkg" / "b.py").write_text("def g(y):\n    'doc'\n    return y\n")
    (root / "pkg" / "copy_of_a.py").write_text("def f(x):\n    'doc'\n    return x\n")
    (root / "pkg" / "empty.py").write_text("\n\n")
    (root / "pkg" / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\ns = '\xe9t\xe9'\n")
    (root / "pkg" / "bad.py").write_bytes(b"s = '\xff\xfe\xfa'\n")
    (root / "pkg" / "huge.py").write_text("x = 1\n" * 1000)
    (root / "pkg" / "notes.txt").write_text("not python")


def test_files_source_counts_every_drop(tmp_path):
    write_tree(tmp_path)
    stats = Stats("c", unit_in="files")
    docs = list(corpus.iter_documents({**CFG, "sources": [{"kind": "files", "paths": [str(tmp_path / "pkg")]}]}, stats))
    assert sorted(d.path.rsplit("/", 1)[1] for d in docs) == ["a.py", "b.py", "latin.py"]
    assert dict(stats.dropped) == {"duplicate_document": 1, "empty": 1, "undecodable": 1, "too_large": 1}
    assert stats.n_in == 7 and stats.n_out == 3
    assert "été" in next(d.content for d in docs if d.path.endswith("latin.py"))


def test_globs_and_order_are_deterministic(tmp_path):
    write_tree(tmp_path)
    cfg = {**CFG, "sources": [{"kind": "files", "paths": [str(tmp_path / "pkg" / "[ab].py")]}]}
    first = [d.doc_id for d in corpus.iter_documents(cfg, Stats("c"))]
    second = [d.doc_id for d in corpus.iter_documents(cfg, Stats("c"))]
    assert first == second and len(first) == 2


def test_python_source_reads_the_standard_library():
    stats = Stats("c", unit_in="files")
    docs = list(
        corpus.iter_documents({**CFG, "max_file_bytes": 10**6, "sources": [{"kind": "python", "stdlib": True, "max_documents": 5}]}, stats)
    )
    assert len(docs) == 5 and all(d.license == "PSF-2.0" and d.source == "python:stdlib" for d in docs)


def stack_rows():
    return [
        {
            "content": "def f(x):\n    'doc'\n    return x\n",
            "max_stars_repo_name": "octo/repo",
            "max_stars_repo_path": "src/f.py",
            "max_stars_repo_licenses": ["MIT"],
        },
        {"content": "", "max_stars_repo_name": "octo/empty", "max_stars_repo_path": "e.py", "max_stars_repo_licenses": []},
        {
            "content": "def g(y):\n    'doc'\n    return y\n",
            "max_stars_repo_name": "octo/other",
            "max_stars_repo_path": "g.py",
            "max_stars_repo_licenses": ["Apache-2.0", "MIT"],
        },
    ]


def test_stack_layout_parquet_through_datasets(tmp_path):
    pq.write_table(pa.Table.from_pylist(stack_rows()), tmp_path / "part-0.parquet")
    stats = Stats("c", unit_in="files")
    docs = list(corpus.iter_documents({**CFG, "sources": [{"kind": "hf", "data_files": [str(tmp_path / "*.parquet")]}]}, stats))
    assert [(d.repo, d.path, d.license) for d in docs] == [("octo/repo", "src/f.py", "MIT"), ("octo/other", "g.py", "Apache-2.0,MIT")]
    assert dict(stats.dropped) == {"empty": 1}


def test_stack_layout_jsonl_through_datasets(tmp_path):
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in stack_rows()))
    docs = list(corpus.iter_documents({**CFG, "sources": [{"kind": "hf", "data_files": [str(tmp_path / "data.jsonl")]}]}, Stats("c")))
    assert len(docs) == 2 and docs[0].doc_id == content_id(stack_rows()[0]["content"])


def test_the_manifest_lists_files_in_place_with_row_counts_from_the_footer(tmp_path):
    pq.write_table(pa.Table.from_pylist(stack_rows() * 2), tmp_path / "part-0.parquet")
    pq.write_table(pa.Table.from_pylist(stack_rows()), tmp_path / "part-1.parquet")
    out = tmp_path / "manifest.parquet"
    units = corpus.run(
        out=str(out), cfg={**CFG, "sources": [{"kind": "hf", "data_files": [str(tmp_path / "part-*.parquet")], "max_documents": 8}]}
    )
    assert [(u.path.rsplit("/", 1)[1], u.rows) for u in units] == [("part-0.parquet", 6), ("part-1.parquet", 2)]  # cut at 8
    assert corpus.read_manifest(out) == units
    assert not list(tmp_path.glob("*corpus*"))  # nothing is copied


def test_a_data_file_without_the_content_column_names_the_key(tmp_path):
    pq.write_table(pa.Table.from_pylist([{"text": "x = 1\n"}]), tmp_path / "part-0.parquet")
    with pytest.raises(KeyError, match=r"seeds.corpus.sources\[0\].columns.content"):
        list(corpus.iter_documents({**CFG, "sources": [{"kind": "hf", "data_files": [str(tmp_path / "*.parquet")]}]}, Stats("c")))


def test_only_the_four_columns_are_read(tmp_path, monkeypatch):
    rows = [{**r, "max_stars_count": 3, "hexsha": "ab" * 20} for r in stack_rows()]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "part-0.parquet")
    asked = []
    real = pq.ParquetFile.iter_batches

    def spy(self, *args, **kw):
        asked.append(sorted(kw.get("columns") or []))
        return real(self, *args, **kw)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    docs = list(corpus.iter_documents({**CFG, "sources": [{"kind": "hf", "data_files": [str(tmp_path / "*.parquet")]}]}, Stats("c")))
    assert len(docs) == 2
    assert asked == [sorted(corpus.COLUMNS.values())]


def test_undecodable_bytes_in_a_corpus_file_are_a_drop_not_a_crash(tmp_path):
    rows = [
        {
            "content": b"def f(x):\n    'doc'\n    return x\n",
            "max_stars_repo_name": "a/b",
            "max_stars_repo_path": "f.py",
            "max_stars_repo_licenses": ["MIT"],
        },
        {
            "content": b"def g(y):\n    '\xff\xfe not utf-8'\n    return y\n",
            "max_stars_repo_name": "a/b",
            "max_stars_repo_path": "g.py",
            "max_stars_repo_licenses": ["MIT"],
        },
    ]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "part-0.parquet")
    stats = Stats("c", unit_in="files")
    docs = list(corpus.iter_documents({**CFG, "sources": [{"kind": "hf", "data_files": [str(tmp_path / "*.parquet")]}]}, stats))
    assert [d.path for d in docs] == ["f.py"] and dict(stats.dropped) == {"undecodable": 1}
