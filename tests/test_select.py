"""Selection modes, dedup and decontamination on a fixture of executed responses."""

import datasets
import pytest

from codealign import io
from codealign.records import Execution, Instruction, Response, schema
from codealign.selfalign import select

from conftest import benchmark_paths

DECONTAMINATION = {"benchmarks": ["humaneval"], "whitelist": [], "ngram": {"enabled": False, "n": 13}}
CFG = {"mode": "passing", "decontaminate": True, "dedup": {"instructions": True, "responses": True, "function_names": True,
       "near": {"enabled": True, "threshold": 0.7, "num_perm": 128}}}


def instruction(i, text):
    return Instruction(f"i{i}", f"s{i}", text, ["c"], "function implementation", "easy", "concepts", [], "m").__dict__


def response(i, sample, impl, tests="assert True\n"):
    body = f"## Reasoning\nr\n\n## Implementation\n```python\n{impl}```\n\n## Tests\n```python\n{tests}```\n"
    return Response(f"r{i}-{sample}", f"i{i}", f"s{i}", sample, "x", body, impl, tests, 1, 10, "m").__dict__


def fixture(tmp_path):
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
        response(2, 0, "def area_of(r):\n    return 3 * r * r\n"),
        response(3, 0, "def area(r):\n    return 3.0 * r * r * 1\n"),  # same function name set as 0's
        response(4, 0, "def has_close(numbers, threshold):\n" + he0.canonical_solution),
        response(5, 0, "def mean(values):\n    return sum(values) / len(values)\n"),
    ]
    status = {"r0-0": "pass", "r0-1": "fail", "r1-0": "fail", "r1-1": "fail", "r2-0": "pass", "r3-0": "pass", "r4-0": "pass", "r5-0": "timeout"}
    executions = [Execution(r, r.split("-")[0].replace("r", "i"), s, "", 0, 0.01, "").__dict__ for r, s in status.items()]
    paths = {name: tmp_path / f"{name}.parquet" for name in ("instructions", "responses", "executions")}
    io.write_rows(paths["instructions"], instructions, schema(Instruction))
    io.write_rows(paths["responses"], responses, schema(Response))
    io.write_rows(paths["executions"], executions, schema(Execution))
    return paths


def run(tmp_path, **cfg):
    paths = fixture(tmp_path)
    out = tmp_path / "sft" / "dataset.parquet"
    stats = select.run(instructions_path=str(paths["instructions"]), responses_paths=[str(paths["responses"])],
                       executions_paths=[str(paths["executions"])], out=str(out), jsonl=str(out.with_suffix(".jsonl")),
                       card=str(tmp_path / "sft" / "README.md"), stats_path=str(tmp_path / "sft" / "stats.json"),
                       cfg={**CFG, **cfg}, decontamination=DECONTAMINATION, benchmark_paths=benchmark_paths(), base_seed=1,
                       provenance={"experiment": "test"})
    return stats, io.read_rows(out)


def test_passing_mode_keeps_one_passing_response_per_instruction_and_counts_every_drop(tmp_path):
    stats, rows = run(tmp_path)
    assert [(r["instruction_id"], r["response_id"], r["verdict"]) for r in rows] == [("i0", "r0-0", "pass")]
    assert stats.to_dict()["dropped"] == {
        "no_passing_response": 2,  # i1 (both fail), i5 (timeout)
        "duplicate_instruction": 1,  # i2
        "duplicate_function_names": 1,  # i3 defines `area` again
        "contaminated": 1,  # i4 carries HumanEval/0's solution
    }
    assert stats.n_in == 6 and stats.n_out + sum(stats.dropped.values()) == 6


def test_failing_mode_keeps_only_failures(tmp_path):
    _, rows = run(tmp_path, mode="failing")
    assert {r["verdict"] for r in rows} <= {"fail", "timeout"} and {r["instruction_id"] for r in rows} >= {"i1", "i5"}


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
    assert card.startswith("---\n") and "| no_passing_response | 2 |" in card and "selection mode: `passing`" in card


@pytest.mark.parametrize("code,names", [("def a():\n    pass\nclass B:\n    pass\n", {"a", "B"}), ("x = 1\n", set()), ("def (:", set())])
def test_function_names(code, names):
    assert select.function_names(code) == frozenset(names)
