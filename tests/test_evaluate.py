"""The evaluation path on known answers: canonical solutions score 100%, broken ones 0, through EvalPlus
(HumanEval+, MBPP+) and the sandbox (LiveCodeBench, DS-1000 fixtures in their published layouts)."""

import base64
import json
import pickle
import zlib

import pytest
from conftest import HUMANEVALPLUS, MBPPPLUS, REPO

from codealign import io
from codealign.benchmarks import read_jsonl
from codealign.evaluate import ds1000, livecodebench, plus, stage

CACHE = str(REPO / ".cache" / "evalplus")  # EvalPlus's ground-truth cache, kept between runs
EXECUTION = {
    "isolation": "auto",
    "workers": 2,
    "timeout_s": 20,
    "memory_mb": 2048,
    "processes": 64,
    "file_size_mb": 16,
    "open_files": 256,
    "python": "auto",
    "site_packages": "auto",
}


def samples_file(path, rows):
    io.write_jsonl(path, rows)
    return str(path)


@pytest.mark.parametrize("benchmark,source", [("humanevalplus", HUMANEVALPLUS), ("mbppplus", MBPPPLUS)])
def test_canonical_solutions_score_100_and_broken_ones_0(benchmark, source, tmp_path, benchmarks_available):
    tasks = read_jsonl(source)
    solution = (lambda t: t["prompt"] + t["canonical_solution"]) if benchmark == "humanevalplus" else (lambda t: t["canonical_solution"])
    good = samples_file(tmp_path / "good.jsonl", [{"task_id": t["task_id"], "solution": solution(t)} for t in tasks])
    # a generous time factor: CI machines are small and busy; the verdicts, not the speed, are on test
    result = plus.summarize(
        benchmark, plus.score(benchmark, good, str(source), CACHE, parallel=2, min_time_limit=5, gt_time_limit_factor=20)
    )
    failed = sorted(t for t, v in result["per_task"].items() if not (v["base"] and v["plus"]) and t not in result["excluded"])
    if failed:  # a busy machine can time out a heavy input; those tasks alone, once more, must pass
        override = str(tmp_path / "again.jsonl.gz")
        stage.write_tasks(benchmark=benchmark, path=str(source), cfg={"subset": {benchmark: {"task_ids": failed}}}, out=override)
        retry = samples_file(
            tmp_path / "again.jsonl", [{"task_id": t["task_id"], "solution": solution(t)} for t in tasks if t["task_id"] in failed]
        )
        again = plus.summarize(
            benchmark, plus.score(benchmark, retry, override, CACHE, parallel=1, min_time_limit=10, gt_time_limit_factor=40)
        )
        assert again["pass@1_base"] == 1.0 and again["pass@1_plus"] == 1.0, (failed, again["per_task"])
        assert len(failed) <= 2, failed
    else:
        assert result["pass@1_base"] == 1.0 and result["pass@1_plus"] == 1.0
    if benchmark == "humanevalplus":
        assert result["tasks"] == 163 and list(result["excluded"]) == ["HumanEval/32"]
    else:
        assert result["tasks"] == 377 and list(result["excluded"]) == ["Mbpp/255"]

    broken = samples_file(
        tmp_path / "broken.jsonl",
        [{"task_id": t["task_id"], "solution": f"def {t['entry_point']}(*args, **kwargs):\n    return None\n"} for t in tasks],
    )
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


def test_the_task_file_is_the_same_bytes_on_every_run(tmp_path, benchmarks_available):
    """EvalPlus hashes the task file into its results, so its gzip header carries no write time."""
    cfg = {"subset": {"humanevalplus": {"first": 3}}}
    first, second = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"
    stage.write_tasks(benchmark="humanevalplus", path=str(HUMANEVALPLUS), cfg=cfg, out=str(first))
    stage.write_tasks(benchmark="humanevalplus", path=str(HUMANEVALPLUS), cfg=cfg, out=str(second))
    assert first.read_bytes()[4:8] == bytes(4) and first.read_bytes() == second.read_bytes()


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
    "question_id": "abc001_a",
    "question_title": "Sum",
    "question_content": "Read two integers and print their sum.",
    "platform": "atcoder",
    "contest_date": "2024-05-04T00:00:00",
    "difficulty": "easy",
    "starter_code": "",
    "public_test_cases": json.dumps([{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]),
    "private_test_cases": base64.b64encode(
        zlib.compress(pickle.dumps(json.dumps([{"input": "10 -4\n", "output": "6\n", "testtype": "stdin"}])))
    ).decode(),
    "metadata": "{}",
}
FUNCTIONAL_PROBLEM = {
    "question_id": "2001",
    "question_title": "Max",
    "question_content": "Return the largest element of nums.",
    "platform": "leetcode",
    "contest_date": "2024-06-10T00:00:00",
    "difficulty": "easy",
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


def score_fixture(benchmark, tasks_path, solutions, tmp_path, limits=None):
    samples = samples_file(tmp_path / f"{benchmark}-samples.jsonl", [{"task_id": k, "solution": v} for k, v in solutions.items()])
    return stage.score(
        benchmark=benchmark,
        tasks_path=tasks_path,
        samples_path=samples,
        out=str(tmp_path / f"{benchmark}-scores.json"),
        execution=EXECUTION,
        cache_dir=CACHE,
        threads=2,
        limits=limits or {},
    )


def test_a_livecodebench_release_is_its_first_n_files(lcb):
    assert [p.question_id for p in livecodebench.load(str(lcb), release="release_v1")] == ["abc001_a", "old"]
    assert [p.question_id for p in livecodebench.load(str(lcb), release="release_v2")] == ["abc001_a", "old", "2001"]
    with pytest.raises(FileNotFoundError, match="release_v3 needs test3.jsonl"):
        livecodebench.load(str(lcb), release="release_v3")


def test_the_livecodebench_prompt_is_its_generic_format():
    stdin = livecodebench.Problem("q", "t", "Add two numbers.", "atcoder", "2024-05-04", "easy", "", None, [])
    text = livecodebench.prompt(stdin)
    assert text.startswith(livecodebench.SYSTEM + "\n\n### Question:\nAdd two numbers.\n\n### Format: Read the inputs from stdin")
    assert "writes output to STDOUT.\n```python\n# YOUR CODE HERE\n```" in text and text.endswith(
        "### Answer: (use the provided format with backticks)\n\n"
    )


def test_a_livecodebench_test_past_its_own_timeout_fails_the_problem(lcb, tmp_path):
    tasks = str(tmp_path / "tasks.jsonl.gz")
    stage.write_tasks(
        benchmark="livecodebench",
        path=str(lcb),
        cfg={"subset": {}, "livecodebench": {"start_date": "2024-05-01", "end_date": None, "release": None}},
        out=tasks,
    )
    slow = {
        "abc001_a": "import time\na, b = map(int, input().split())\ntime.sleep(1.5)\nprint(a + b)\n",
        "2001": "class Solution:\n    def largest(self, nums):\n        return max(nums)\n",
    }
    result = score_fixture("livecodebench", tasks, slow, tmp_path, limits={"timeout_s": 1.0})
    assert result["per_task"] == {"abc001_a": False, "2001": True} and "ran past 1.0 s" in result["details"]["abc001_a"]["detail"]
    assert score_fixture("livecodebench", tasks, slow, tmp_path, limits={"timeout_s": 3.0})["pass@1"] == 1.0


def test_livecodebench_scores_right_and_wrong_solutions_in_the_sandbox(lcb, tmp_path):
    tasks = str(tmp_path / "tasks.jsonl.gz")
    assert (
        stage.write_tasks(
            benchmark="livecodebench",
            path=str(lcb),
            cfg={"subset": {}, "livecodebench": {"start_date": "2024-05-01", "end_date": None, "release": None}},
            out=tasks,
        )
        == 2
    )
    right = {
        "abc001_a": "a, b = map(int, input().split())\nprint(a + b)\n",
        "2001": "class Solution:\n    def largest(self, nums: List[int]) -> int:\n        return max(nums)\n",
    }
    wrong = {
        "abc001_a": "a, b = map(int, input().split())\nprint(a - b)\n",
        "2001": "class Solution:\n    def largest(self, nums):\n        return nums[0]\n",
    }
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
    row = {
        "prompt": "Sum column a of df.\nA:\n<code>\nimport pandas as pd\n</code>\nBEGIN SOLUTION\n<code>\n",
        "reference_code": "result = df['a'].sum()",
        "metadata": {"problem_id": 7, "library": "Pandas"},
        "code_context": DS_CONTEXT,
    }
    path.write_text(json.dumps(row) + "\n" + json.dumps({**row, "metadata": {"problem_id": 8, "library": "Numpy"}}) + "\n")
    tasks = str(tmp_path / "tasks.jsonl.gz")
    assert stage.write_tasks(benchmark="ds1000", path=str(path), cfg={"subset": {}, "ds1000": {"libraries": ["Pandas"]}}, out=tasks) == 1
    assert ds1000.solution_from("result = df['a'].sum()\n</code>\nEND SOLUTION") == "result = df['a'].sum()\n"
    assert score_fixture("ds1000", tasks, {"7": "result = df['a'].sum()\n"}, tmp_path)["pass@1"] == 1.0
    assert score_fixture("ds1000", tasks, {"7": "result = df['a'].max()\n"}, tmp_path)["pass@1"] == 0.0  # wrong value, no 'sum'


def plus_scores(path, base: list[bool], plus: list[bool], excluded=()):
    """A HumanEval+ score file at ``path`` (laid out as the workflow does: <benchmark>/<model>/scores.json)."""
    per_task = {f"HumanEval/{i}": {"base": b, "plus": p} for i, (b, p) in enumerate(zip(base, plus))}
    io.write_json(path, {"tasks": len(per_task) - len(excluded), "excluded": {t: "broken" for t in excluded}, "per_task": per_task})
    return str(path)


def test_report_puts_base_and_tuned_side_by_side_with_intervals_and_a_paired_test(tmp_path):
    base = plus_scores(
        tmp_path / "humanevalplus" / "base" / "scores.json",
        [True, False, False, False, True],
        [True, False, False, False, False],
        excluded=["HumanEval/4"],
    )
    tuned = plus_scores(
        tmp_path / "humanevalplus" / "tuned" / "scores.json",
        [True, True, True, False, False],
        [True, True, False, False, False],
        excluded=["HumanEval/4"],
    )
    io.write_json(tmp_path / "train.json", {"status": "untrained", "reason": "0 SFT examples"})
    rows = stage.report(
        scores=[base, tuned],
        training_log=str(tmp_path / "train.json"),
        out_json=str(tmp_path / "s.json"),
        out_csv=str(tmp_path / "s.csv"),
        out_png=str(tmp_path / "s.png"),
    )
    assert [(r["model"], r["tasks"], r["pass@1"], r["pass@1_plus"]) for r in rows] == [("base", 4, 0.25, 0.25), ("tuned", 4, 0.75, 0.5)]
    low, high = rows[0]["pass@1_ci"]
    assert 0.04 < low < 0.05 and 0.69 < high < 0.70  # Wilson, 1 of 4
    assert rows[1]["note"].startswith("untrained") and (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")
    comparison = {c["metric"]: c for c in io.read_json(tmp_path / "s.json")["comparisons"]}
    assert (comparison["pass@1"]["only_first"], comparison["pass@1"]["only_second"], comparison["pass@1"]["tasks"]) == (2, 0, 4)
    assert comparison["pass@1"]["p_value"] == 0.5 and comparison["pass@1_plus"]["p_value"] == 1.0  # exact: 2 * 0.5**2; 1 discordant
    assert (tmp_path / "s.csv").read_text().splitlines()[
        0
    ] == "benchmark,model,tasks,pass@1,pass@1_ci,pass@1_plus,pass@1_plus_ci,excluded,note"


def test_the_scores_figure_shows_counts_and_intervals_when_every_score_is_zero(tmp_path):
    zeros = [plus_scores(tmp_path / "humanevalplus" / m / "scores.json", [False] * 20, [False] * 20) for m in ("base", "tuned")]
    stage.report(
        scores=zeros,
        training_log=None,
        out_json=str(tmp_path / "s.json"),
        out_csv=str(tmp_path / "s.csv"),
        out_png=str(tmp_path / "s.png"),
    )
    rows = io.read_json(tmp_path / "s.json")["scores"]
    assert all(r["pass@1"] == 0.0 and r["pass@1_ci"][0] == 0.0 and 0.15 < r["pass@1_ci"][1] < 0.17 for r in rows)  # 0 of 20: up to 16%


DS_CONTEXT_ALL_LIBRARIES = """import numpy as np
import pandas as pd
import scipy.stats
import sklearn.linear_model
import matplotlib.pyplot as plt


def test_execution(solution: str):
    env = {"np": np, "pd": pd, "scipy": scipy, "sklearn": sklearn, "plt": plt}
    exec(solution, env)
    assert abs(env["result"] - 2.0) < 1e-9
    plt.savefig("figure.png")  # in the problem's own working directory
"""


def test_ds1000_runs_each_problem_with_the_scientific_stack_inside_the_sandbox(tmp_path):
    path = tmp_path / "ds1000.jsonl"
    row = {
        "prompt": "Fit y = 2x.\nA:\n<code>\n</code>\nBEGIN SOLUTION\n<code>\n",
        "reference_code": "",
        "code_context": DS_CONTEXT_ALL_LIBRARIES,
        "metadata": {"problem_id": 1, "library": "Sklearn"},
    }
    path.write_text(json.dumps(row) + "\n")
    tasks = str(tmp_path / "tasks.jsonl.gz")
    stage.write_tasks(benchmark="ds1000", path=str(path), cfg={"subset": {}, "ds1000": {"libraries": None}}, out=tasks)
    fit = (
        "x = np.arange(5).reshape(-1, 1)\nmodel = sklearn.linear_model.LinearRegression().fit(x, 2 * x.ravel())\n"
        "plt.plot(x, model.predict(x))\nresult = float(model.coef_[0]) * scipy.stats.norm.cdf(100)\n"
    )
    result = score_fixture("ds1000", tasks, {"1": fit}, tmp_path)
    assert result["pass@1"] == 1.0, result["details"]


def test_ds1000_refuses_to_score_when_its_libraries_do_not_import_in_the_sandbox(tmp_path):
    path = tmp_path / "ds1000.jsonl"
    row = {"prompt": "p", "reference_code": "", "code_context": DS_CONTEXT_ALL_LIBRARIES, "metadata": {"problem_id": 1, "library": "Numpy"}}
    path.write_text(json.dumps(row) + "\n")
    tasks = str(tmp_path / "tasks.jsonl.gz")
    stage.write_tasks(benchmark="ds1000", path=str(path), cfg={"subset": {}, "ds1000": {"libraries": None}}, out=tasks)
    samples = samples_file(tmp_path / "s.jsonl", [{"task_id": "1", "solution": "result = 2.0\n"}])
    with pytest.raises(RuntimeError, match="DS-1000 needs numpy, pandas, scipy, sklearn, matplotlib inside the sandbox"):
        stage.score(
            benchmark="ds1000",
            tasks_path=tasks,
            samples_path=samples,
            out=str(tmp_path / "o.json"),
            execution={**EXECUTION, "site_packages": "none"},
            cache_dir=CACHE,
            limits={},
            threads=1,
        )
