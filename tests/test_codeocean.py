"""The CodeOcean pieces without a model: raw code extraction, task planning, bug injection, prompts,
parsing of recorded real Gemma 3 270M outputs, the example pools, and the SFT conversion."""

import ast
import json
import random
from pathlib import Path

import pytest

from codealign import io
from codealign.codeocean import generate, rawcode, sft, tasks
from codealign.codeocean.tasks import Item

DATA = Path(__file__).parent / "data"
GENERATE = {"tasks": {t: 1 for t in tasks.TASKS}, "translation": [["python", "javascript"], ["javascript", "python"]]}

PY = """def clamp_all(values, low, high):
    out = []
    for v in values:
        if v < low:
            v = low
        elif v > high:
            v = high
        out.append(v)
    return out
"""
JS = """function total(items) {
  // "a < b" in a comment and in "strings + more"
  let sum = 0;
  for (let i = 0; i < items.length; i++) {
    sum = sum + items[i];
  }
  return sum >= 0 ? sum : -1;
}
"""


def test_raw_code_reads_python_and_javascript_with_their_comments(tmp_path):
    (tmp_path / "lib.js").write_text(
        "/**\n * Add the numbers of a list.\n * @param {number[]} items\n */\n" + JS + "\nfunction bare(x) { return x; }\n"
    )
    found = list(rawcode.javascript_functions((tmp_path / "lib.js").read_text()))
    assert [(name, comment) for name, _, comment in found] == [("total", "Add the numbers of a list.")]
    assert found[0][1].startswith("function total") and found[0][1].rstrip().endswith("}")
    funcs = list(rawcode.python_functions('def f(a):\n    """Double it, twice over."""\n    return 2 * a\n\ndef g():\n    pass\n'))
    assert funcs == [("f", "def f(a):\n    return 2 * a\n", "Double it, twice over.")]

    cfg = {
        "sources": [{"kind": "javascript", "paths": [str(tmp_path)]}],
        "filters": {"min_lines": 3, "max_lines": 60, "max_chars": 4000, "min_comment_words": 3, "blacklist": ["fixme"]},
    }
    stats = rawcode.run(out=str(tmp_path / "raw.parquet"), stats_path=str(tmp_path / "raw.json"), cfg=cfg)
    assert stats.n_out == 1 and stats.extra["languages"] == {"javascript": 1}


@pytest.mark.parametrize("seed", range(12))
def test_an_injected_python_bug_changes_one_token_and_still_parses(seed):
    buggy, description = tasks.inject_bug(PY, "python", random.Random(seed))
    ast.parse(buggy)
    changed = [(a, b) for a, b in zip(PY.splitlines(), buggy.splitlines()) if a != b]
    assert len(changed) == 1 and len(buggy.splitlines()) == len(PY.splitlines())
    line = int(description.split(":")[0].removeprefix("line "))
    assert PY.splitlines()[line - 1] == changed[0][0]


@pytest.mark.parametrize("seed", range(12))
def test_an_injected_javascript_bug_never_touches_strings_or_comments(seed):
    buggy, description = tasks.inject_bug(JS, "javascript", random.Random(seed))
    changed = [i for i, (a, b) in enumerate(zip(JS.splitlines(), buggy.splitlines())) if a != b]
    assert len(changed) == 1 and changed[0] != 1  # line 2 is the comment
    assert f"line {changed[0] + 1}:" in description


def test_code_without_anything_to_break_gets_no_bug():
    assert tasks.inject_bug("def f(x):\n    return x\n", "python", random.Random(0)) is None
    assert tasks.inject_bug("func f() {}", "go", random.Random(0)) is None


def test_each_item_gets_a_task_that_applies_to_it_deterministically():
    raw = {"raw_id": "r1", "language": "python", "code": PY, "comment": "Clamp every value into [low, high]."}
    plans = [generate.plan(raw, i, GENERATE, 7) for i in range(40)]
    assert plans == [generate.plan(raw, i, GENERATE, 7) for i in range(40)]
    assert {p.task for p in plans} == set(tasks.TASKS)
    for p in plans:
        if p.task == "code translation":
            assert p.target_language == "javascript" and p.information == PY.rstrip("\n")
        if p.task == "code repair":
            assert p.bug and p.information != p.reference and p.reference == PY.rstrip("\n")
        if p.task == "code generation":
            assert p.information == "def clamp_all(values, low, high):" and "# Clamp every value" in p.reference
    # a language without a translation target and code with nothing to break fall back
    lonely = {"raw_id": "r2", "language": "go", "code": "func f() {}\n", "comment": "nothing"}
    only_hard = {**GENERATE, "tasks": {"code translation": 1, "code repair": 1, "code summarization": 0.001, "code generation": 0}}
    assert generate.plan(lonely, 0, only_hard, 7).task == "code summarization"
    with pytest.raises(ValueError, match="no configured task"):
        generate.plan(lonely, 0, {**GENERATE, "tasks": {"code translation": 1}}, 7)


def test_prompts_show_what_we_fill_in_and_end_where_the_model_writes():
    good, bad = tasks.load_bank()
    assert {e.task for e in good} == {e.task for e in bad} == set(tasks.TASKS)
    item = Item("r", "code repair", "python", "python", "def f(a):\n    return a - 1", bug="line 2: `+` was changed to `-`")
    prompt = tasks.generator_prompt(item, [good[6]])
    assert prompt.endswith(
        "Known bug: line 2: `+` was changed to `-`\nInformation:\n```python\ndef f(a):\n    return a - 1\n```\nInstruction:"
    )
    assert prompt.count("### Example") == 2 and prompt.count(tasks.END) == 1
    item.instruction, item.solution = "Fix it.", "```python\ndef f(a):\n    return a + 1\n```"
    question = tasks.discriminator_prompt(item, "fixes_bug", [bad[3], good[6]])
    assert question.endswith("Question: Does the solution fix the bug in the information?\nAnswer:")
    assert "Answer: No. The `+` is left in place" in question and "Answer: Yes." in question


def test_recorded_generator_outputs_parse_or_are_rejected_for_their_reason():
    rows = [json.loads(line) for line in (DATA / "codeocean_generator_outputs.jsonl").read_text().splitlines()]
    assert {r["expected"] for r in rows} == {"ok", "truncated", "no_code"}  # real outputs of all kinds
    for r in rows:
        item = Item("r", r["task"], r["language"], r["target_language"], r["information"])
        result = tasks.parse_generation(r["text"], r["finish_reason"], item)
        if r["expected"] == "ok":
            instruction, solution = result
            assert instruction and solution and "Solution:" not in instruction and tasks.END not in solution
        else:
            assert result == r["expected"]


def test_generator_output_edge_cases():
    item = Item("r", "code translation", "javascript", "python", "function f(a) { return a; }")
    assert tasks.parse_generation(
        " Translate it to Python.\nSolution:\n```python\ndef f(a):\n    return a\n```\n### End", "stop", item
    ) == ("Translate it to Python.", "```python\ndef f(a):\n    return a\n```")
    assert tasks.parse_generation(" Translate it.\nSolution:\nIt returns a.\n", "stop", item) == "no_code"
    assert tasks.parse_generation(" Translate it.", "stop", item) == "no_solution"
    assert tasks.parse_generation(" Translate it.\nSolution:\n```python\ndef f(a", "length", item) == "truncated"
    assert tasks.parse_generation("\nSolution:\ndef f(a):\n    return a\n", "stop", item) == "empty_instruction"
    same = Item("r", "code repair", "python", "python", "def f(a):\n    return a")
    assert (
        tasks.parse_generation(" Fix.\nSolution:\n```python\ndef f(a):\n    return a\n```", "stop", same) == "solution_repeats_information"
    )


def test_recorded_discriminator_answers_and_the_verdict():
    answers = json.loads((DATA / "codeocean_discriminator_answers.json").read_text())
    parsed = [tasks.parse_answer(a) for a in answers]
    assert {v for v, _ in parsed} <= {"yes", "no", "undecided"} and {"yes", "no"} <= {v for v, _ in parsed}
    assert tasks.parse_answer(" No. It assigns each segment to a different string.") == (
        "no",
        "It assigns each segment to a different string.",
    )
    assert tasks.parse_answer(" yes, the imports are there") == ("yes", "the imports are there")
    assert tasks.parse_answer(" Yesterday it was fine") == ("undecided", "Yesterday it was fine")
    assert generate.accepts({"a": "Yes.", "b": "Yes. fine"}, 1.0)
    assert not generate.accepts({"a": "Yes.", "b": "No. (undecided: hm)"}, 1.0)
    assert generate.accepts({"a": "Yes.", "b": "No."}, 0.5) and not generate.accepts({}, 0.0)


def test_pools_are_bounded_per_task_and_feed_later_prompts():
    good, bad = tasks.load_bank()
    pools = generate.Pools(good, bad, size=2)
    item = Item("r", "code summarization", "python", "python", "x = 1")
    assert [e.id for e in pools.generator_examples(item, 2, 1)] == ["summarize-py", "summarize-js"]
    assert [e.id for e in pools.discriminator_examples(item, 1, 1)] == ["bad-summarize", "summarize-py"]
    accepted = [Item("r", "code summarization", "python", "python", "x", id=f"ok{i}") for i in range(3)]
    for a in accepted:
        pools.add(a, True)
    pools.add(Item("r", "code repair", "python", "python", "x", id="nope"), False)
    assert [e.id for e in pools.good["code summarization"]] == ["ok1", "ok2"]  # bounded, oldest out
    assert [e.id for e in pools.generator_examples(item, 1, 1)] == ["summarize-py", "ok2"]
    assert [e.id for e in pools.discriminator_examples(item, 2, 1)] == ["bad-summarize", "ok1", "ok2"]
    repair = Item("r", "code repair", "python", "python", "x")
    assert [e.id for e in pools.discriminator_examples(repair, 0, 1)] == ["nope"]


def test_a_bank_with_a_bad_example_that_fails_nothing_is_refused(tmp_path):
    bank = tmp_path / "bank.yaml"
    bank.write_text(
        "good: []\nbad:\n  - {id: x, task: code repair, language: python, target_language: python, "
        "information: a, instruction: b, solution: c}\n"
    )
    with pytest.raises(ValueError, match="answers no question with No"):
        tasks.load_bank(str(bank))


def test_accepted_items_become_sft_examples_with_task_and_provenance(tmp_path):
    from codealign.records import TaskItem, schema

    base = dict(
        raw_id="raw1",
        language="python",
        target_language="javascript",
        information="def f(a):\n    return a",
        bug="",
        reference="",
        checklist=["fits: yes"],
        reasons="",
        executes="not_run",
        fewshot_ids=["translate-py-js"],
        batch=0,
    )
    rows = [
        {
            **base,
            "item_id": "i1",
            "task": "code translation",
            "instruction": "Translate to JavaScript.",
            "solution": "```javascript\nfunction f(a) { return a; }\n```",
            "accepted": True,
        },
        {
            **base,
            "item_id": "i2",
            "task": "code translation",
            "instruction": "Translate  to JavaScript.",
            "solution": "other",
            "accepted": True,
        },
        {
            **base,
            "item_id": "i3",
            "task": "code summarization",
            "instruction": "Summarize.",
            "solution": "It returns a.",
            "accepted": False,
        },
    ]
    io.write_rows(tmp_path / "items.parquet", rows, schema(TaskItem))
    io.write_json(tmp_path / "items.json", {"model": "m123"})
    stats = sft.run(
        items_path=str(tmp_path / "items.parquet"),
        items_stats=str(tmp_path / "items.json"),
        out=str(tmp_path / "d.parquet"),
        jsonl=str(tmp_path / "d.jsonl"),
        card=str(tmp_path / "README.md"),
        stats_path=str(tmp_path / "s.json"),
        decontamination={"benchmarks": [], "whitelist": [], "ngram": {"enabled": False, "n": 10}},
        benchmark_paths={},
        provenance={"experiment": "t"},
    )
    assert stats.n_out == 1 and dict(stats.dropped) == {"duplicate_instruction": 1, "rejected_by_discriminator": 1}
    (row,) = io.read_rows(tmp_path / "d.parquet")
    assert row["source"] == "codeocean" and row["task"] == "code translation" and row["category"] == "python->javascript"
    assert row["instruction"] == "Translate to JavaScript.\n\n```python\ndef f(a):\n    return a\n```" and row["model"] == "m123"
    assert "examples: **1**" in (tmp_path / "README.md").read_text()


@pytest.mark.parametrize("char", ["\f", "\x1c", "\x85", "\u2028"])
def test_raw_code_slices_the_lines_the_parser_counts(char):
    from codealign.codeocean.rawcode import python_functions

    text = f"# intro{char}more\n\ndef area(r):\n    'Area of a circle.'\n    return 3 * r * r\n"
    assert list(python_functions(text)) == [("area", "def area(r):\n    return 3 * r * r\n", "Area of a circle.")]
