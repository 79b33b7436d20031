"""The evaluation path on known answers: canonical solutions score 100%, broken ones 0, through EvalPlus
(HumanEval+, MBPP+) and the sandbox (LiveCodeBench, DS-1000 fixtures in their published layouts)."""

import base64
import json
import pickle
import zlib

import pytest

from codealign import io
from codealign.benchmarks import read_jsonl
from codealign.evaluate import ds1000, livecodebench, plus, stage

from conftest import HUMANEVALPLUS, MBPPPLUS, REPO

CACHE = str(REPO / ".cache" / "evalplus")  # EvalPlus's ground-truth cache, kept between runs
EXECUTION = {"isolation": "auto", "workers": 2, "timeout_s": 20, "memory_mb": 2048, "processes": 64, "file_size_mb": 16,
             "open_files": 256, "python": "auto", "site_packages": "auto"}


def samples_file(path, rows):
    io.write_jsonl(path, rows)
    return str(path)


@pytest.mark.parametrize("benchmark,source", [("humanevalplus", HUMANEVALPLUS), ("mbppplus", MBPPPLUS)])
def test_canonical_solutions_score_100_and_broken_ones_0(benchmark, source, tmp_path, benchmarks_available):
    tasks = read_jsonl(source)
    solution = (lambda t: t["prompt"] + t["canonical_solution"]) if benchmark == "humanevalplus" else (lambda t: t["canonical_solution"])
    good = samples_file(tmp_path / "good.jsonl", [{"task_id": t["task_id"], "solution": solution(t)} for t in tasks])
    # a generous time factor: CI machines are small and busy; the verdicts, not the speed, are on test
    result = plus.summarize(benchmark, plus.score(benchmark, good, str(source), CACHE, parallel=2, min_time_limit=5, gt_time_limit_factor=20))
    failed = sorted(t for t, v in result["per_task"].items() if not (v["base"] and v["plus"]) and t not in result["excluded"])
    if failed:  # a busy machine can time out a heavy input; those tasks alone, once more, must pass
        override = str(tmp_path / "again.jsonl.gz")
        stage.write_tasks(benchmark=benchmark, path=str(source), cfg={"subset": {benchmark: {"task_ids": failed}}}, out=override)
        retry = samples_file(tmp_path / "again.jsonl", [{"task_id": t["task_id"], "solution": solution(t)} for t in tasks if t["task_id"] in failed])
        again = plus.summarize(benchmark, plus.score(benchmark, retry, override, CACHE, parallel=1, min_time_limit=10, gt_time_limit_factor=40))
        assert again["pass@1_base"] == 1.0 and again["pass@1_plus"] == 1.0, (failed, again["per_task"])
        assert len(failed) <= 2, failed
    else:
        assert result["pass@1_base"] == 1.0 and result["pass@1_plus"] == 1.0
    if benchmark == "humanevalplus":
        assert result["tasks"] == 163 and list(result["excluded"]) == ["HumanEval/32"]
    else:
        assert result["tasks"] == 377 and list(result["excluded"]) == ["Mbpp/255"]

    broken = samples_file(tmp_path / "broken.jsonl", [{"task_id": t["task_id"], "solution": f"def {t['entry_point']}(*args, **kwargs):\n    return None\n"} for t in tasks])
    result = plus.summarize(benchmark, plus.score(benchmark, broken, str(source), CACHE, parallel=2))
    assert result["pass@1_base"] == 0.0 and result["pass@1_plus"] == 0.0


def test_a_subset_gets_its_own_override_file_and_scores(tmp_path, benchmarks_available):
    cfg = {"subset": {"humanevalplus": {"task_ids": ["HumanEval/0", "HumanEval/2", "HumanEval/4"]}}}
    override = str(tmp_path / "tasks.jsonl.gz")
    assert stage.write_tasks(benchmark="humanevalplus", path=str(HUMANEVALPLUS), cfg=cfg, out=override) == 3
    tasks = read_jsonl(override)
    rows = [{"task_id": t["task_id"], "solution": t["prompt"] + t["canonical_solution"]} for t in tasks]
    rows[1]["solution"] = rows[1]["solution"].replace("return", "return 1 +", 1)  # break HumanEval/2
    result = plus.summarize("humanevalplus", plus.score("humanevalplus", samples_file(tmp_path / "s.jsonl", rows), override, CACHE))
    assert result["tasks"] == 3 and result["per_task"]["HumanEval/2"] == {"base": False, "plus": False}
    assert result["pass@1_plus"] == round(2 / 3, 4)


def test_samples_missing_a_task_are_an_error_not_a_score(tmp_path, benchmarks_available):
    override = str(tmp_path / "tasks.jsonl.gz")
    stage.write_tasks(benchmark="mbppplus", path=str(MBPPPLUS), cfg={"subset": {"mbppplus": {"first": 3}}}, out=override)
    tasks = read_jsonl(override)
    partial = samples_file(tmp_path / "s.jsonl", [{"task_id": tasks[0]["task_id"], "solution": tasks[0]["canonical_solution"]}])
    with pytest.raises(RuntimeError, match="evalplus.evaluate failed"):
        plus.score("mbppplus", partial, override, CACHE)


def test_unknown_subset_task_is_named(benchmarks_available):
    with pytest.raises(ValueError, match="HumanEval/9999"):
        plus.select_tasks(read_jsonl(HUMANEVALPLUS), {"task_ids": ["HumanEval/9999"]})


def test_prompts_for_both_styles():
    task = read_jsonl(HUMANEVALPLUS)[0]
    template = {"instruction": "### Instruction\n", "response": "### Response\n"}
    prompt, stop, prefix = plus.prompt_for(task, "completion", template)
    assert prompt == task["prompt"] and prefix == task["prompt"] and "\ndef " in stop
    prompt, stop, prefix = plus.prompt_for(task, "instruct", template)
    assert prompt.startswith("### Instruction\nPlease provide") and prompt.endswith("```python\n") and stop == ("\n```",) and prefix == ""
    clean = plus.solution_from(task, task["prompt"], "    return False\n\nprint('debris')\n", "completion")
    assert clean.strip().endswith("return False") and "debris" not in clean


# --- LiveCodeBench, in its published layout ----------------------------------------------------

STDIN_PROBLEM = {
    "question_id": "abc001_a", "question_title": "Sum", "question_content": "Read two integers and print their sum.",
    "platform": "atcoder", "contest_date": "2024-05-04T00:00:00", "difficulty": "easy", "starter_code": "",
    "public_test_cases": json.dumps([{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]),
    "private_test_cases": base64.b64encode(zlib.compress(pickle.dumps(json.dumps([{"input": "10 -4\n", "output": "6\n", "testtype": "stdin"}])))).decode(),
    "metadata": "{}",
}
FUNCTIONAL_PROBLEM = {
    "question_id": "2001", "question_title": "Max", "question_content": "Return the largest element of nums.",
    "platform": "leetcode", "contest_date": "2024-06-10T00:00:00", "difficulty": "easy",
    "starter_code": "class Solution:\n    def largest(self, nums: List[int]) -> int:\n        ",
    "public_test_cases": json.dumps([{"input": "[1, 5, 2]", "output": "5", "testtype": "functional"}]),
    "private_test_cases": json.dumps([{"input": "[-3, -1]", "output": "-1", "testtype": "functional"}]),
    "metadata": json.dumps({"func_name": "largest"}),
}
OLD_PROBLEM = {**STDIN_PROBLEM, "question_id": "old", "contest_date": "2023-01-01T00:00:00"}


@pytest.fixture
def lcb(tmp_path):
    root = tmp_path / "lcb"
    root.mkdir()
    (root / "test.jsonl").write_text("".join(json.dumps(p) + "\n" for p in (STDIN_PROBLEM, OLD_PROBLEM)))
    (root / "test2.jsonl").write_text(json.dumps(FUNCTIONAL_PROBLEM) + "\n")
    return root


def test_livecodebench_loads_the_published_layout_within_the_date_window(lcb):
    problems = livecodebench.load(str(lcb), "2024-05-01", "2024-12-31")
    assert [p.question_id for p in problems] == ["abc001_a", "2001"]
    assert [t["output"] for t in problems[0].tests] == ["3\n", "6\n"]  # public + compressed private
    assert problems[1].func_name == "largest"


def score_fixture(benchmark, tasks_path, solutions, tmp_path):
    samples = samples_file(tmp_path / f"{benchmark}-samples.jsonl", [{"task_id": k, "solution": v} for k, v in solutions.items()])
    return stage.score(benchmark=benchmark, tasks_path=tasks_path, samples_path=samples, out=str(tmp_path / f"{benchmark}-scores.json"),
                       execution=EXECUTION, cache_dir=CACHE, threads=2)


def test_livecodebench_scores_right_and_wrong_solutions_in_the_sandbox(lcb, tmp_path):
    tasks = str(tmp_path / "tasks.jsonl.gz")
    assert stage.write_tasks(benchmark="livecodebench", path=str(lcb), cfg={"subset": {}, "livecodebench": {"start_date": "2024-05-01", "end_date": None}}, out=tasks) == 2
    right = {"abc001_a": "a, b = map(int, input().split())\nprint(a + b)\n",
             "2001": "class Solution:\n    def largest(self, nums: List[int]) -> int:\n        return max(nums)\n"}
    wrong = {"abc001_a": "a, b = map(int, input().split())\nprint(a - b)\n",
             "2001": "class Solution:\n    def largest(self, nums):\n        return nums[0]\n"}
    assert score_fixture("livecodebench", tasks, right, tmp_path)["pass@1"] == 1.0
    result = score_fixture("livecodebench", tasks, wrong, tmp_path)
    assert result["pass@1"] == 0.0 and result["isolation"] == "nsjail"


# --- DS-1000, in its published layout ----------------------------------------------------------

DS_CONTEXT = '''import numpy as np
import pandas as pd


def generate_test_case():
    return pd.DataFrame({"a": [1, 2, 3]})


def exec_test(result, ans):
    assert result == ans


exec_context = r"""
import numpy as np
import pandas as pd
df = test_input
[insert]
"""


def test_execution(solution: str):
    test_input = generate_test_case()
    env = {"test_input": test_input}
    exec(exec_context.replace("[insert]", solution), env)
    exec_test(int(env["result"]), 6)


def test_string(solution: str):
    assert "sum" in solution
'''


def test_ds1000_checks_solutions_with_its_own_test_code(tmp_path):
    path = tmp_path / "ds1000.jsonl"
    row = {"prompt": "Sum column a of df.\nA:\n<code>\nimport pandas as pd\n</code>\nBEGIN SOLUTION\n<code>\n", "reference_code": "result = df['a'].sum()",
           "metadata": {"problem_id": 7, "library": "Pandas"}, "code_context": DS_CONTEXT}
    path.write_text(json.dumps(row) + "\n" + json.dumps({**row, "metadata": {"problem_id": 8, "library": "Numpy"}}) + "\n")
    tasks = str(tmp_path / "tasks.jsonl.gz")
    assert stage.write_tasks(benchmark="ds1000", path=str(path), cfg={"subset": {}, "ds1000": {"libraries": ["Pandas"]}}, out=tasks) == 1
    assert ds1000.solution_from("result = df['a'].sum()\n</code>\nEND SOLUTION") == "result = df['a'].sum()\n"
    assert score_fixture("ds1000", tasks, {"7": "result = df['a'].sum()\n"}, tmp_path)["pass@1"] == 1.0
    assert score_fixture("ds1000", tasks, {"7": "result = df['a'].max()\n"}, tmp_path)["pass@1"] == 0.0  # wrong value, no 'sum'


def test_report_puts_base_and_tuned_side_by_side_and_marks_an_untrained_model(tmp_path):
    for model, p in (("base", 0.25), ("tuned", 0.5)):
        io.write_json(tmp_path / f"{model}.json", {"tasks": 4, "pass@1_base": p, "pass@1_plus": p / 2, "excluded": {}, "per_task": {}})
    io.write_json(tmp_path / "train.json", {"status": "untrained", "reason": "0 SFT examples"})
    rows = stage.report(scores={"humanevalplus": {"base": str(tmp_path / "base.json"), "tuned": str(tmp_path / "tuned.json")}},
                        training_log=str(tmp_path / "train.json"), out_json=str(tmp_path / "s.json"), out_csv=str(tmp_path / "s.csv"), out_png=str(tmp_path / "s.png"))
    assert [(r["model"], r["pass@1"], r["pass@1_plus"]) for r in rows] == [("base", 0.25, 0.125), ("tuned", 0.5, 0.25)]
    assert rows[1]["note"].startswith("untrained") and (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "s.csv").read_text().splitlines()[0] == "benchmark,model,tasks,pass@1,pass@1_plus,excluded,note"
