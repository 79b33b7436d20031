"""The few-shot banks, prompt rendering, and parsing of real Gemma 270M outputs (recorded from a run)."""

import subprocess
import sys
from collections import Counter

import pytest

from codealign.generation import prompts
from codealign.generation.backend import Completion
from codealign.seeds import judge
from codealign.selfalign import instruct

BANK = prompts.load_bank()


def test_bank_is_large_and_covers_every_category_and_difficulty():
    assert len(BANK) >= 21
    assert len({e.id for e in BANK}) == len(BANK)
    assert set(Counter(e.category for e in BANK)) == set(prompts.CATEGORIES)
    assert set(Counter(e.difficulty for e in BANK)) == set(prompts.DIFFICULTIES)


@pytest.mark.parametrize("example", BANK, ids=lambda e: e.id)
def test_every_example_passes_its_own_tests(example, tmp_path):
    program = tmp_path / "program.py"
    program.write_text(example.implementation + "\n\n" + example.tests)
    proc = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("example", BANK, ids=lambda e: e.id)
def test_every_seed_snippet_is_a_documented_function_or_class(example):
    import ast

    tree = ast.parse(example.snippet)
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert defs and all(ast.get_docstring(d) for d in defs)


def test_judge_bank_is_balanced():
    answers = Counter(e.answer for e in prompts.load_judge_bank())
    assert answers["Yes"] == answers["No"] >= 4


def test_random_selection_is_per_item_and_reproducible():
    a, _ = prompts.choose(BANK, 8, 0, 1234)
    b, _ = prompts.choose(BANK, 8, 1, 1234)
    assert a == prompts.choose(BANK, 8, 0, 1234)[0] and a != b and len(set(e.id for e in a)) == 8


def test_grouped_selection_shares_one_prefix_per_group():
    same = [prompts.choose(BANK, 8, i, 1234, "grouped", 2) for i in (0, 2, 4)]
    assert all(s[0] == same[0][0] and s[1] == 0 for s in same)
    p1 = prompts.concepts_prompt("def f(x):\n    return x\n", same[0][0])
    p2 = prompts.concepts_prompt("def g(y):\n    return y\n", same[1][0])
    shared = len(p1) - len("def f(x):\n    return x\n```\n### Concepts\n")
    assert p1[:shared] == p2[:shared]


def test_prompts_leave_the_last_block_open():
    shots = BANK[:2]
    assert prompts.concepts_prompt("def f(x):\n    return x", shots).endswith("### Concepts\n")
    p = prompts.instruction_prompt("recursion, memoization", "function implementation", "easy", shots)
    assert p.endswith("### Instruction\n") and p.count("### Instruction") == 3
    r = prompts.response_prompt("Write f.", shots)
    assert r.endswith("### Response\n## Reasoning\n") and "## Tests\n```python\n" in r


def test_the_judge_sees_the_function_without_its_docstring():
    code = 'import math\n\n\ndef area(r):\n    """Area of a circle\n    of radius r."""\n    return math.pi * r * r\n'
    stripped = judge.without_docstring(code, "area")
    assert "Area of a circle" not in stripped and "return math.pi * r * r" in stripped


@pytest.mark.parametrize(
    "answer,verdict",
    [
        ("Yes", True),
        (" No", False),
        ("yes, it does", True),
        ("yes or no", None),
        ("No, not yes", False),
        ("", None),
        ("Maybe", None),
        ("Not enough", False),
    ],
)
def test_judge_votes_count_words_and_ties_are_undecided(answer, verdict):
    assert judge.vote(answer) is verdict


# Outputs recorded from the embedded default's first run (Gemma 3 270M, transformers backend).
RECORDED_CONCEPTS = [
    ("object-oriented, implementing processes", None, ["object-oriented", "implementing processes"]),
    ("key=value, key=value, key=value", None, ["key=value"]),
    ("operator overloading, dunder methods, math.hypot", "echoed_fewshot", None),
    ("set_item_count_to_zero, set_item_count_to_one, set_item_count_to_zero_and_", "truncated", None),
    ("   ", "empty", None),
    (", , .", "no_concepts", None),
]


@pytest.mark.parametrize("text,reason,concepts", RECORDED_CONCEPTS)
def test_concepts_are_parsed_or_rejected_with_a_reason(text, reason, concepts):
    vector = next(e for e in BANK if e.id == "vector")
    finish = "length" if reason == "truncated" else "stop"
    assert instruct.concepts_reason(Completion(text, finish, 10, 5), [vector]) == reason
    if concepts is not None:
        assert instruct.parse_concepts(text) == concepts


RECORDED_INSTRUCTIONS = [
    (
        "Write a function `root_child_count()` that returns the number of children in a tree.\n"
        "For example, if `root_child_count(tree) = 1`, the output would be: 1.",
        None,
    ),
    ("Write a function `encode_to_string(string_to_decode)`.", "too_short"),
    ("Implement a class `Point2D(x, y)`.", "too_short"),
    ("Write a function `f(x)` that returns\n```python\ndef f(x): return x\n```", "format_leak"),
    ("Write a function `g` that\n## Reasoning\nreturns its argument unchanged.", "format_leak"),
    ("", "empty"),
]


@pytest.mark.parametrize("text,reason", RECORDED_INSTRUCTIONS)
def test_instructions_are_accepted_or_rejected_with_a_reason(text, reason):
    # recorded from the embedded default, which ends an instruction at its first blank line
    assert instruct.instruction_reason(Completion(text, "stop", 10, 5), BANK[:3], allow_code=False) == reason


def test_the_paper_mode_keeps_instructions_that_show_code_and_span_paragraphs():
    text = "Write a function `f(x)` that returns its argument.\n\nFor example:\n```python\nassert f(1) == 1\n```"
    assert instruct.instruction_reason(Completion(text, "stop", 10, 5), BANK[:3], allow_code=True) is None
    assert instruct.instruction_stops({"stop_at_blank_line": False}) == ("\n###",)
    assert "\n\n" in instruct.instruction_stops({"stop_at_blank_line": True})


def test_categories_are_drawn_by_weight():
    from collections import Counter

    cfg = {"categories": {"function implementation": 2, "class implementation": 1, "program implementation": 1}, "difficulties": ["easy"]}
    counts = Counter(instruct.category_and_difficulty(cfg, i, 7)[0] for i in range(4000))
    assert 0.46 < counts["function implementation"] / 4000 < 0.54 and 0.21 < counts["class implementation"] / 4000 < 0.29
    only = {**cfg, "categories": {"function implementation": 0, "class implementation": 1, "program implementation": 0}}
    assert {instruct.category_and_difficulty(only, i, 7)[0] for i in range(50)} == {"class implementation"}


def test_an_echoed_fewshot_instruction_is_rejected():
    shots = BANK[:3]
    echo = "  " + shots[1].instruction.replace("\n", " ") + " "
    assert instruct.instruction_reason(Completion(echo, "stop", 10, 5), shots) == "echoed_fewshot"
