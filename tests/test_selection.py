"""Selection as the paper does it, on fixtures of executed responses: choose after the filters and
dedup, the paper's drop reasons, normalized names, three MinHash passes, decontamination."""

from pathlib import Path

import datasets
import pytest
from conftest import benchmark_paths

from codealign import config as cfglib
from codealign import io
from codealign.records import Execution, Instruction, Response, schema
from codealign.selfalign import selection
from codealign.shards import shard_stats_path


def select_all(
    *,
    instructions_path: str,
    responses_paths: list[str],
    executions_paths: list[str],
    out: str,
    jsonl: str,
    card: str,
    stats_path: str,
    cfg: dict,
    decontamination: dict,
    benchmark_paths: dict,
    random_seed: int,
    provenance: dict,
):
    """Both selection steps in one process, as the rules run them: candidates per response shard
    into ``<out's folder>/candidates/``, then the gather."""
    folder = Path(out).parent / "candidates"
    candidates, candidate_stats = [], []
    for k, (responses, executions) in enumerate(zip(responses_paths, executions_paths)):
        path = str(folder / f"shard-{k}.parquet")
        selection.run_candidates(
            instructions_path=instructions_path,
            responses_path=responses,
            executions_path=executions,
            out=path,
            stats_path=shard_stats_path(path),
            cfg=cfg,
            random_seed=random_seed,
        )
        candidates.append(path)
        candidate_stats.append(shard_stats_path(path))
    return selection.run_gather(
        instructions_path=instructions_path,
        candidates=candidates,
        candidate_stats=candidate_stats,
        out=out,
        jsonl=jsonl,
        card=card,
        stats_path=stats_path,
        cfg=cfg,
        decontamination=decontamination,
        benchmark_paths=benchmark_paths,
        provenance=provenance,
    )


DECONTAMINATION = {"benchmarks": ["humaneval"], "whitelist": [], "ngram": {"enabled": False, "n": 13}, "extra": []}
CFG = cfglib.validate({})["selection"]  # the schema defaults: the paper's selection


def instruction(i, text):
    return Instruction(f"i{i}", f"s{i}", text, ["c"], "function implementation", "easy", "concepts", [], "m").__dict__


def response(i, sample, impl, tests="assert True\n"):
    body = f"## Reasoning\nr\n\n## Implementation\n```python\n{impl}```\n\n## Explanation\ne\n\n## Tests\n```python\n{tests}```\n"
    return Response(f"r{i}-{sample}", f"i{i}", f"s{i}", sample, "x", body, impl, tests, 1, 10, "m").__dict__


def default_fixture():
    from codealign import benchmarks

    he0 = benchmarks.load("humaneval", benchmark_paths()["humaneval"])[0]
    instructions = [
        instruction(0, "Write `area(r)` returning the area of a circle."),
        instruction(1, "Write `perimeter(w, h)` returning the perimeter of a rectangle."),
        instruction(2, "Write `area(r)` returning the area of a circle."),  # same text as 0
        instruction(3, "Write `clamp(x)` limiting x to [0, 1]."),
        instruction(4, "Write `has_close(numbers, threshold)`."),
        instruction(5, "Write `mean(values)` returning the mean."),
    ]
    responses = [
        response(0, 0, "def area(r):\n    return 3.14159 * r * r\n"),
        response(0, 1, "def area(r):\n    return 3.14 * r ** 2\n"),
        response(1, 0, "def perimeter(w, h):\n    return 2 * (w + h)\n"),
        response(1, 1, "def perimeter(w, h):\n    return w + h\n"),
        response(2, 0, "def area(r):\n    return 3 * r * r\n"),
        response(3, 0, "def Area(r):\n    return 3.0 * r * r * 1\n"),  # the same function name as 0's and 2's
        response(4, 0, "def has_close(numbers, threshold):\n" + he0.canonical_solution),
        response(5, 0, "def mean(values):\n    return sum(values) / len(values)\n"),
    ]
    status = {
        "r0-0": "pass",
        "r0-1": "fail",
        "r1-0": "fail",
        "r1-1": "fail",
        "r2-0": "pass",
        "r3-0": "pass",
        "r4-0": "pass",
        "r5-0": "timeout",
    }
    return instructions, responses, status


def execution_row(response_id: str, status) -> dict:
    """``status``: the verdict, or (verdict, asserts passed alone, asserts) as execution.per_assert counts them."""
    status, passed, total = (status, None, None) if isinstance(status, str) else status
    instruction_id = response_id.split("-")[0].replace("r", "i")
    return Execution(response_id, instruction_id, status, "", 0, 0.01, "", asserts_total=total, asserts_passed=passed).__dict__


def run(tmp_path, instructions=None, responses=None, status=None, **changes):
    if instructions is None:
        instructions, responses, status = default_fixture()
    tmp_path.mkdir(parents=True, exist_ok=True)
    executions = [execution_row(r, s) for r, s in status.items()]
    paths = {name: tmp_path / f"{name}.parquet" for name in ("instructions", "responses", "executions")}
    io.write_rows(paths["instructions"], instructions, schema(Instruction))
    io.write_rows(paths["responses"], responses, schema(Response))
    io.write_rows(paths["executions"], executions, schema(Execution))
    out = tmp_path / "sft" / "dataset.parquet"
    stats = select_all(
        instructions_path=str(paths["instructions"]),
        responses_paths=[str(paths["responses"])],
        executions_paths=[str(paths["executions"])],
        out=str(out),
        jsonl=str(out.with_suffix(".jsonl")),
        card=str(tmp_path / "sft" / "README.md"),
        stats_path=str(tmp_path / "sft" / "stats.json"),
        cfg=cfglib.deep_merge(CFG, changes),
        decontamination=DECONTAMINATION,
        benchmark_paths=benchmark_paths(),
        random_seed=1,
        provenance={"experiment": "test"},
    )
    return stats, io.read_rows(out)


def test_passing_mode_keeps_one_passing_response_per_instruction_and_counts_every_drop(tmp_path):
    stats, rows = run(tmp_path)
    # i0, i2 (the same text as i0) and i3 (the same function name) collapse to the first one visited
    assert len(rows) == 1 and rows[0]["instruction_id"] in {"i0", "i2", "i3"} and rows[0]["verdict"] == "pass"
    dropped = stats.to_dict()["dropped"]
    assert dropped["not_passing"] == 4  # r0-1, r1-0, r1-1 fail; r5-0 timed out
    assert dropped["contaminated"] == 1  # i4 carries HumanEval/0's solution
    assert dropped["duplicate_function_names"] >= 1 and dropped["duplicate_function_names"] + dropped.get("duplicate_instruction", 0) == 2
    assert stats.n_in == 8 and stats.n_out + sum(stats.dropped.values()) == 8
    assert stats.extra["instructions"] == 6 and stats.extra["instructions_with_candidate"] == 4


def test_a_repeated_response_leaves_its_instruction_another_passing_one(tmp_path):
    impl = "def area(r):\n    return 3.14159 * r * r\n"
    instructions = [instruction(0, "Write `area(r)` for a circle."), instruction(1, "Compute the area of a disc of radius r.")]
    responses = [response(0, 0, impl), response(1, 0, impl), response(1, 1, "def disc_area(radius):\n    return 3.1416 * radius ** 2\n")]
    status = {"r0-0": "pass", "r1-0": "pass", "r1-1": "pass"}
    kept_the_fresh_one = False
    for seed in range(8):  # whichever repeat the shuffle visits first, both instructions keep a response
        stats, rows = run(tmp_path / str(seed), instructions, responses, status, decontaminate=False)
        assert sorted(r["instruction_id"] for r in rows) == ["i0", "i1"]
        kept_the_fresh_one |= "r1-1" in {r["response_id"] for r in rows}
    assert kept_the_fresh_one


def test_the_papers_response_filters_each_drop_under_their_own_reason(tmp_path):
    instructions = [
        instruction(0, "Write `area(r)` for a circle."),
        instruction(1, "Write `mean(values)`."),
        instruction(2, "Write `clamp(x)`. " + "Explain every step in great detail. " * 40),
    ]
    responses = [
        response(0, 0, "def area(r):\n    # TODO: use math.pi\n    return 3 * r * r\n"),
        response(1, 0, "def mean(values):\n    return sum(values) / len(values)\n", tests="def test():\n    assert mean([2]) == 2\n"),
        response(2, 0, "def clamp(x):\n    return min(1, max(0, x))\n"),
    ]
    status = {"r0-0": "pass", "r1-0": "pass", "r2-0": "pass"}
    stats, rows = run(tmp_path, instructions, responses, status)
    assert rows == [] and stats.to_dict()["dropped"] == {"incomplete_response": 1, "tests_never_run": 1, "instruction_too_long": 1}
    off = {"incomplete_markers": [], "tests_must_assert": False, "max_instruction_words": None}
    _, rows = run(tmp_path / "off", instructions, responses, status, filters=off)
    assert len(rows) == 3


CODE = """def {}(values):
    '''{}'''
    total = 0
    for v in values:
        if v % 2 == 0:
            total += v * v
    return total
"""


def test_three_minhash_passes_drop_near_copies_of_instruction_and_code(tmp_path):
    long = (
        "Write a function that takes a list of integers and returns the sum of the squares of the even ones, in one pass over "
        "the list, without building an intermediate list, and returns zero for an empty list; negative even numbers count too, "
        "and the function must not change the list it is given. Name it `{}`."
    )
    instructions = [
        instruction(0, long.format("even_squares")),
        instruction(1, long.format("squares_of_evens")),
        instruction(2, "Given numbers, add up the squares of those divisible by two."),
    ]
    responses = [
        response(0, 0, CODE.format("even_squares", "Sum of the even squares.")),
        response(1, 0, "def f(xs):\n    return sum(x * x for x in xs if x % 2 == 0)\n"),
        response(2, 0, CODE.format("even_squares_sum", "Adds them up, each squared, when even.")),
    ]
    status = {"r0-0": "pass", "r1-0": "pass", "r2-0": "pass"}
    stats, rows = run(tmp_path, instructions, responses, status, decontaminate=False)
    assert stats.dropped == {"near_duplicate_instruction": 1, "near_duplicate_code": 1} and len(rows) == 1
    stats, rows = run(tmp_path / "one", instructions, responses, status, decontaminate=False, dedup={"near": {"fields": ["instruction"]}})
    assert stats.dropped == {"near_duplicate_instruction": 1} and len(rows) == 2


def test_the_sft_response_leaves_out_its_tests_unless_asked(tmp_path):
    _, rows = run(tmp_path)
    assert "## Explanation" in rows[0]["response"] and "## Tests" not in rows[0]["response"] and "assert" not in rows[0]["response"]
    _, rows = run(tmp_path / "v01", include_tests=True)
    assert rows[0]["response"].endswith("## Tests\n```python\nassert True\n```\n")


def test_failing_mode_keeps_only_failures(tmp_path):
    _, rows = run(tmp_path, mode="failing")
    assert {r["verdict"] for r in rows} <= {"fail", "timeout"} and {r["instruction_id"] for r in rows} >= {"i1", "i5"}


def test_partial_mode_also_keeps_responses_that_pass_some_of_their_asserts_alone(tmp_path):
    instructions, responses, _ = default_fixture()
    status = {  # i1: r1-0 passes none of its asserts alone, r1-1 one of two; i5 timed out whole but passed 1 of 1 alone
        "r0-0": ("pass", 2, 2),
        "r0-1": ("fail", 0, 2),
        "r1-0": ("fail", 0, 2),
        "r1-1": ("fail", 1, 2),
        "r2-0": ("pass", 1, 1),
        "r3-0": ("pass", 1, 1),
        "r4-0": ("pass", 1, 1),
        "r5-0": ("timeout", 1, 1),
    }
    stats, rows = run(tmp_path, instructions, responses, status, mode="partial")
    verdicts = {r["instruction_id"]: r["verdict"] for r in rows}
    assert verdicts["i1"] == "partial 1/2" and verdicts["i5"] == "partial 1/1"
    assert stats.to_dict()["dropped"]["not_partial"] == 2  # r0-1 and r1-0: no assert passes alone
    assert all("assert" not in r["response"] for r in rows)  # the SFT response leaves its tests out
    _, paper = run(tmp_path / "paper", instructions, responses, status)  # passing mode ignores the counts
    assert {r["verdict"] for r in paper} == {"pass"}


def test_partial_mode_without_per_assert_counts_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="selection.mode: partial needs execution.per_assert: true"):
        run(tmp_path, mode="partial")


def test_random_mode_ignores_verdicts_and_is_reproducible(tmp_path):
    _, first = run(tmp_path / "a", mode="random")
    _, second = run(tmp_path / "b", mode="random")
    assert first == second and {r["instruction_id"] for r in first} >= {"i1", "i5"}


def test_the_set_loads_with_datasets_and_has_a_card(tmp_path):
    run(tmp_path)
    ds = datasets.load_dataset("parquet", data_files=str(tmp_path / "sft" / "dataset.parquet"), split="train")
    assert ds.num_rows == 1 and {"instruction", "response", "seed_id", "verdict", "model", "sample", "concepts"} <= set(ds.column_names)
    js = datasets.load_dataset("json", data_files=str(tmp_path / "sft" / "dataset.jsonl"), split="train")
    assert js[0]["instruction"] == ds[0]["instruction"]
    card = (tmp_path / "sft" / "README.md").read_text()
    assert card.startswith("---\n") and "| not_passing | 4 |" in card and "selection mode: `passing`" in card


@pytest.mark.parametrize(
    "code,functions,classes",
    [
        ("def a_b():\n    pass\nclass My_Thing:\n    def run(self):\n        pass\n", {"ab", "run"}, {"mything"}),
        ("def Area_Of(r):\n    return r\n", {"areaof"}, set()),
        ("x = 1\n", set(), set()),
        ("def (:", set(), set()),
    ],
)
def test_function_and_class_names_are_normalized_as_the_paper_does(code, functions, classes):
    assert selection.function_names(code) == (frozenset(functions), frozenset(classes))


def test_names_that_differ_only_in_case_and_underscores_are_repeats(tmp_path):
    instructions = [instruction(0, "Write `area_of(r)` for a circle."), instruction(1, "Write `AreaOf(r)`, the area of a disc.")]
    responses = [
        response(0, 0, "def area_of(r):\n    return 3.14159 * r * r\n"),
        response(1, 0, "def AreaOf(r):\n    return 3.1 * r ** 2\n"),
    ]
    stats, rows = run(tmp_path, instructions, responses, {"r0-0": "pass", "r1-0": "pass"}, decontaminate=False)
    assert len(rows) == 1 and stats.dropped == {"duplicate_function_names": 1}


def test_code_representation_keeps_definitions_without_docstrings():
    code = "import math\nX = 1\ndef f(a):\n    '''Doc.'''\n    return a\nclass C:\n    '''Doc.'''\n    def g(self):\n        return 1\n"
    assert selection.code_representation(code) == "def f(a):\n    return a\n\nclass C:\n\n    def g(self):\n        return 1"
    assert selection.code_representation("def (:") is None


def test_selection_over_response_shards_keeps_what_one_shard_keeps(tmp_path):
    """Per-shard candidates and one gather choose exactly as a single shard does (the shuffle is
    keyed by response, not by position), and the candidates hold no execution column."""
    instructions, responses, status = default_fixture()
    _, one = run(tmp_path / "one", instructions, responses, status)
    executions = [Execution(r, r.split("-")[0].replace("r", "i"), s, "", 0, 0.01, "stderr tail").__dict__ for r, s in status.items()]
    parts = [(responses[:3], executions[:3]), (responses[3:5], executions[3:5]), (responses[5:], executions[5:])]
    root = tmp_path / "sharded"
    root.mkdir()
    io.write_rows(root / "instructions.parquet", instructions, schema(Instruction))
    for k, (rs, es) in enumerate(parts):
        io.write_rows(root / f"responses-{k}.parquet", rs, schema(Response))
        io.write_rows(root / f"executions-{k}.parquet", es, schema(Execution))
    out = root / "sft" / "dataset.parquet"
    stats = select_all(
        instructions_path=str(root / "instructions.parquet"),
        responses_paths=[str(root / f"responses-{k}.parquet") for k in range(3)],
        executions_paths=[str(root / f"executions-{k}.parquet") for k in range(3)],
        out=str(out),
        jsonl=str(out.with_suffix(".jsonl")),
        card=str(root / "sft" / "README.md"),
        stats_path=str(root / "sft" / "stats.json"),
        cfg=CFG,
        decontamination=DECONTAMINATION,
        benchmark_paths=benchmark_paths(),
        random_seed=1,
        provenance={"experiment": "test"},
    )
    assert io.read_rows(out) == one
    assert stats.extra["shards"] == 3 and stats.n_in == len(responses)
    columns = io.read_table(root / "sft" / "candidates" / "shard-0.parquet").column_names
    assert "stderr_tail" not in columns and "detail" not in columns
