"""The execution stage: a shard's verdicts, and a verdict cache that serves only the sandbox setup
that produced it."""

from codealign import config as cfglib
from codealign import io
from codealign.records import Response, schema
from codealign.selfalign import execution


def write_responses(path, n=6):
    rows = [
        Response(f"r{i}", f"i{i}", "s", i, "x", "x", f"x = {i}", f"assert x == {i if i % 2 else -1}", 1, 1, "m").__dict__ for i in range(n)
    ]
    io.write_rows(path, rows, schema(Response))


def run(tmp_path, **settings):
    cfg = {**cfglib.validate({})["execution"], "workers": 2, **settings}
    return execution.run_shard(
        responses_path=str(tmp_path / "responses.parquet"),
        out=str(tmp_path / "verdicts.parquet"),
        stats_path=str(tmp_path / "stats.json"),
        cache_path=str(tmp_path / "cache.jsonl"),
        cfg=cfg,
    )


def test_a_shard_gets_a_verdict_per_response_and_records_its_sandbox(tmp_path):
    write_responses(tmp_path / "responses.parquet")
    stats = run(tmp_path, isolation="nsjail")
    verdicts = io.read_rows(tmp_path / "verdicts.parquet")
    assert [v["status"] for v in verdicts] == ["fail", "pass"] * 3
    assert stats.extra["executed"] == 6 and stats.extra["sandbox"]["isolation"] == "nsjail"
    assert "typing" in stats.extra["sandbox"]["preimported"]


def test_cached_verdicts_serve_the_same_setup_only(tmp_path):
    write_responses(tmp_path / "responses.parquet")
    run(tmp_path, isolation="nsjail")
    again = run(tmp_path, isolation="nsjail")  # a rerun after a kill: nothing to execute
    assert again.extra["executed"] == 0 and again.extra["cached"] == 6
    weaker = run(tmp_path, isolation="namespaces")  # another isolation may judge differently: run again
    assert weaker.extra["executed"] == 6
    longer = run(tmp_path, isolation="nsjail", timeout_s=20)
    assert longer.extra["executed"] == 6
    assert [v["status"] for v in io.read_rows(tmp_path / "verdicts.parquet")] == ["fail", "pass"] * 3


def test_the_key_holds_what_ran_not_what_was_asked(tmp_path):
    write_responses(tmp_path / "responses.parquet")
    run(tmp_path, isolation="nsjail")
    assert run(tmp_path, isolation="auto").extra["executed"] == 0  # auto chose nsjail here: the same verdicts


def test_every_input_of_a_verdict_is_in_its_key(tmp_path):
    import os

    write_responses(tmp_path / "responses.parquet", n=2)
    base = {"isolation": "nsjail"}
    run(tmp_path, **base)
    changes = {
        "site_packages": "none",
        "python": os.path.realpath("/usr/bin/python3"),
        "memory_mb": 1024,
        "processes": 32,
        "file_size_mb": 8,
        "open_files": 128,
    }
    for key, value in changes.items():
        assert run(tmp_path, **base, **{key: value}).extra["executed"] == 2, key
        assert run(tmp_path, **base, **{key: value}).extra["executed"] == 0, key  # the same setup again: cached


def test_workers_at_their_memory_limit_must_fit_the_job():
    import pytest

    from codealign.sandbox import SandboxConfig

    cfg = {**cfglib.validate({})["execution"], "workers": 4, "memory_mb": 4096}
    execution.check_memory(SandboxConfig.from_section(cfg), 4 * 4096 + 2048)
    with pytest.raises(ValueError, match=r"4 sandbox workers × execution.memory_mb 4096 = 16384 MB do not fit the job's mem_mb 16000"):
        execution.check_memory(SandboxConfig.from_section(cfg), 16000)


def shard_run(tmp_path, rows, shard, n, **settings):
    """One shard of ``rows`` the way the rule runs it: its journal named by shard and shard count."""
    from codealign.shards import shard_bounds

    start, end = shard_bounds(len(rows), shard, n)
    io.write_rows(tmp_path / f"r-{shard}-{n}.parquet", rows[start:end], schema(Response))
    cfg = {**cfglib.validate({})["execution"], "workers": 2, "isolation": "nsjail", **settings}
    return execution.run_shard(
        responses_path=str(tmp_path / f"r-{shard}-{n}.parquet"),
        out=str(tmp_path / f"v-{shard}-{n}.parquet"),
        stats_path=str(tmp_path / f"s-{shard}-{n}.json"),
        cache_path=str(tmp_path / "cache" / f"shard-{shard}-of-{n}.jsonl"),
        cfg=cfg,
    )


def test_re_sharding_executes_nothing_already_judged_and_compaction_drops_stale_verdicts(tmp_path):
    from codealign.cache import COMPACT_SUFFIX

    rows = [
        Response(f"r{i}", f"i{i}", "s", i, "x", "x", f"x = {i}", f"assert x == {i if i % 2 else -1}", 1, 1, "m").__dict__ for i in range(9)
    ]
    assert sum(shard_run(tmp_path, rows, k, 2).extra["executed"] for k in range(2)) == 9
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [f"shard-0-of-2{COMPACT_SUFFIX}", f"shard-1-of-2{COMPACT_SUFFIX}"]
    three = [shard_run(tmp_path, rows, k, 3) for k in range(3)]
    assert [s.extra["executed"] for s in three] == [0, 0, 0] and sum(s.extra["cached"] for s in three) == 9
    verdicts = [v["status"] for k in range(3) for v in io.read_rows(tmp_path / f"v-{k}-3.parquet")]
    assert verdicts == ["fail" if i % 2 == 0 else "pass" for i in range(9)]
    # A changed limit misses the cache, and the shard's compacted file then holds only the new verdicts.
    assert shard_run(tmp_path, rows, 0, 3, timeout_s=20).extra["executed"] == 3
    assert io.count_rows(tmp_path / "cache" / f"shard-0-of-3{COMPACT_SUFFIX}") == 3
    assert not list((tmp_path / "cache").glob("*.jsonl"))  # every journal was compacted


def test_one_assert_programs_keep_the_setup_and_drop_the_other_asserts():
    tests = "import math\nvalue = 3\nassert f(value) == 9\n\nassert f(2) == 5  # wrong\nassert math.isclose(f(0.5), 0.25)\n"
    programs = execution.assert_programs({"implementation": "def f(x):\n    return x * x\n", "tests": tests})
    assert len(programs) == 3
    for program, kept in zip(programs, ["assert f(value) == 9", "assert f(2) == 5", "assert math.isclose(f(0.5), 0.25)"]):
        assert program.startswith("def f(x):") and "import math" in program and "value = 3" in program
        assert [line for line in program.splitlines() if line.startswith("assert")] == [kept]
    assert execution.assert_programs({"implementation": "x = 1", "tests": "assert (x ==\n"}) == []  # does not parse


def test_per_assert_counts_the_asserts_a_failing_response_passes_alone(tmp_path):
    rows = [
        ("x = 2", "assert x == 2\nassert x > 1\n"),  # passes whole: 2/2 without more runs
        ("x = 2", "assert x == 2\nassert x == 3\nassert x < 0\n"),  # fails whole; 1 of 3 alone
        ("x = 2", "assert x == 5\n"),  # 0 of 1
        ("x = 2", "y = x + 1\nassert y == 3\nassert y == 4\n"),  # the setup line runs with each assert: 1 of 2
    ]
    responses = [Response(f"r{i}", f"i{i}", "s", 0, "x", "x", impl, tests, 1, 1, "m").__dict__ for i, (impl, tests) in enumerate(rows)]
    io.write_rows(tmp_path / "responses.parquet", responses, schema(Response))
    stats = run(tmp_path, isolation="nsjail", per_assert=True)
    verdicts = io.read_rows(tmp_path / "verdicts.parquet")
    assert [(v["status"], v["asserts_passed"], v["asserts_total"]) for v in verdicts] == [
        ("pass", 2, 2),
        ("fail", 1, 3),
        ("fail", 0, 1),
        ("fail", 1, 2),
    ]
    # the whole programs, then the failing ones' asserts; r2's only assert is its whole program (cached)
    assert stats.extra["executed"] == 4 + 3 + 2
    assert stats.extra["per_assert"] == {"responses": 3, "asserts_run": 6, "with_a_passing_assert": 2}
    again = run(tmp_path, isolation="nsjail", per_assert=True)  # every one-assert verdict is cached too
    assert again.extra["executed"] == 0 and io.read_rows(tmp_path / "verdicts.parquet") == verdicts
    run(tmp_path, isolation="nsjail")  # off (the paper): no counts
    assert {(v["asserts_passed"], v["asserts_total"]) for v in io.read_rows(tmp_path / "verdicts.parquet")} == {(None, None)}
