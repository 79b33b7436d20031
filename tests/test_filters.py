"""Each seed filter, on real standard-library functions, both ways."""

import copy
from dataclasses import replace

import pytest
from seedutil import FILTERS, stdlib_seed

from codealign.seeds import filter as F
from codealign.seeds import typecheck


def run(seed, **changes):
    cfg = copy.deepcopy(FILTERS)
    for key, value in changes.items():
        cfg[key] = value
    words = F._words_pattern(cfg["banned_words"], cfg["banned_words_match"]) if cfg["banned_words"] else None
    return F.prefilter(seed, cfg, words)


def test_a_clean_function_passes_every_filter():
    seed, reason = run(stdlib_seed("html/__init__.py", "escape"))
    assert reason is None


def test_generator_without_a_returned_value_is_dropped():
    assert run(stdlib_seed("ast.py", "iter_fields"))[1] == "no_return_value"
    assert run(stdlib_seed("ast.py", "iter_fields"), returns_value=False)[1] != "no_return_value"


def test_function_without_arguments_is_dropped():
    seed = stdlib_seed("_aix_support.py", "_aix_bos_rte")
    assert seed.n_args == 0
    assert run(seed)[1] == "no_arguments"
    assert run(seed, min_arguments=0)[1] != "no_arguments"


def test_long_function_is_dropped():
    seed = stdlib_seed("collections/__init__.py", "namedtuple")
    assert seed.n_lines > 150
    assert run(seed)[1] == "too_long"
    assert run(seed, max_lines=None)[1] != "too_long"


def test_banned_word_drops_and_word_matching_is_stricter():
    seed = stdlib_seed("html/__init__.py", "escape")
    debug = replace(seed, code=seed.code.replace("Replace special", "Debug-friendly: replace special"))
    assert run(debug)[1] == "banned_word"  # the paper matches substrings: 'bug' in 'debug'
    assert run(debug, banned_words_match="word")[1] is None
    assert run(replace(seed, code=seed.code + "# TODO: faster\n"), banned_words_match="word")[1] == "banned_word"


def test_autoimport_adds_the_missing_imports():
    seed = stdlib_seed("email/_parseaddr.py", "mktime_tz")
    bare = replace(seed, code=seed.function + "\n")
    out, reason = run(bare)
    assert reason is None
    assert "import time" in out.code and "import calendar" in out.code


def test_banned_import_is_checked_after_autoimport():
    seed = stdlib_seed("fnmatch.py", "fnmatch")
    assert "import os" in seed.code
    assert run(seed)[1] == "banned_import"
    assert run(replace(seed, code=seed.function + "\n"))[1] == "banned_import"  # autoimport brings os back
    assert run(seed, banned_imports=[])[1] != "banned_import"


def test_function_reading_a_module_global_is_dropped():
    seed = stdlib_seed("_collections_abc.py", "_type_repr")
    assert run(seed)[1] == "undefined_names"


def test_autoimport_timeout_is_a_reason_not_a_crash():
    seed = stdlib_seed("email/_parseaddr.py", "mktime_tz")
    huge = replace(seed, code=seed.code + "\n".join(f"x{i} = json.dumps({i})" for i in range(20000)))
    assert run(huge, autoimport={"enabled": True, "timeout_s": 0.001})[1] == "autoimport_timeout"


def test_pyright_reports_a_real_type_error_and_passes_clean_code():
    bad = stdlib_seed("functools.py", "cmp_to_key")
    good = stdlib_seed("html/__init__.py", "escape")
    errors = typecheck.typecheck({"bad": bad.code, "good": good.code})
    assert errors["good"] == []
    assert errors["bad"] and "not assignable" in errors["bad"][0]


def test_imported_modules_reads_every_import_form():
    code = "import os.path as p, json\nfrom collections.abc import Mapping\nfrom . import sibling\n  import re  # indented\n"
    assert F.imported_modules(code) == {"os", "json", "collections", "re"}


def test_missing_pyright_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(typecheck.sys, "executable", "/nonexistent/python")
    with pytest.raises(typecheck.TypecheckerUnavailable, match="pyright is not installed"):
        typecheck.version()


def test_a_pyright_batch_without_a_report_is_split_until_only_the_bad_function_is_dropped(monkeypatch):
    real = typecheck.typecheck

    def typecheck_that_chokes_on_poison(snippets, **kw):  # the real Pyright, except that a batch holding `poison` gives no JSON
        if "poison" in snippets:
            raise typecheck.TypecheckerUnavailable("pyright gave no report (exit 1)")
        return real(snippets, **kw)

    monkeypatch.setattr(F.tc, "typecheck", typecheck_that_chokes_on_poison)
    good = stdlib_seed("html/__init__.py", "escape")
    bad = stdlib_seed("functools.py", "cmp_to_key")
    batch = [{"seed_id": "good", "code": good.code}, {"seed_id": "poison", "code": good.code}, {"seed_id": "bad", "code": bad.code}]
    verdicts = F.typecheck_batch(batch, {"mode": "basic", "timeout_s": 600})
    assert verdicts == {"good": None, "poison": "typecheck_no_report", "bad": "type_errors"}
