"""The seed stage as a real Snakemake run in a temp dir, on a corpus where every file has a known fate."""

import re
import textwrap
from pathlib import Path

import pytest
from conftest import Workflow, base_overlay, benchmark_paths, copy_checkout

from codealign import benchmarks, io

pytestmark = pytest.mark.e2e

LONG = '''
def moving_average(values, window):
    """Simple moving average of values over a sliding window of the given size."""
    if window <= 0:
        raise ValueError("window must be positive")
    averages = []
    total = 0.0
    for index, value in enumerate(values):
        total += value
        if index >= window:
            total -= values[index - window]
        if index >= window - 1:
            averages.append(total / window)
    return averages
'''


def fixture_corpus(root):
    """12 files: 3 dropped by the corpus, 1 unparsable, 11 functions of which 3 survive."""
    root.mkdir()
    keep = textwrap.dedent('''
        def celsius_to_fahrenheit(celsius):
            """Convert a temperature from degrees Celsius to degrees Fahrenheit."""
            return celsius * 9 / 5 + 32


        def mean(values):
            """Arithmetic mean of a non-empty sequence of numbers."""
            return sum(values) / len(values)


        def log_line(message):
            """Print a message on its own line."""
            print(message)


        def answer():
            """The answer to everything."""
            return 42
        ''')
    (root / "keep.py").write_text(keep)
    (root / "keep_copy.py").write_text(keep)  # duplicate_document
    (root / "words.py").write_text('def parse(text):\n    """Parse an integer. TODO: handle errors."""\n    return int(text)\n')
    (root / "paths.py").write_text(
        'import os\n\n\ndef home_of(user):\n    """Home directory of a user."""\n    return os.path.join("/home", user)\n'
    )
    (root / "helper.py").write_text('RATE = 3\n\n\ndef scaled(x):\n    """Scale x by the rate."""\n    return x * RATE\n')
    (root / "typed.py").write_text('def size(x: int) -> int:\n    """Length of x."""\n    return len(x)\n')
    (root / "near1.py").write_text(LONG)
    (root / "near2.py").write_text(LONG.replace("moving_average", "sliding_mean").replace("Simple m", "M"))
    task = {t.task_id: t for t in benchmarks.load("humaneval", benchmark_paths()["humaneval"])}["HumanEval/0"]
    (root / "contaminated.py").write_text(
        'def close_pair(numbers, threshold):\n    """Whether two numbers are closer than threshold."""\n' + task.canonical_solution
    )
    (root / "broken.py").write_text("def broken(:\n    pass\n")
    (root / "bad.py").write_bytes(b"name = '\xff\xfe'\n")
    (root / "empty.py").write_text("")


EXPECTED = {
    "seeds_corpus": (12, 9, {"duplicate_document": 1, "empty": 1, "undecodable": 1}),
    "seeds_extract": (9, 11, {"syntax_error": 1}),
    "seeds_filter": (
        11,
        5,
        {"banned_import": 1, "banned_word": 1, "no_arguments": 1, "no_return_value": 1, "type_errors": 1, "undefined_names": 1},
    ),
    "seeds_dedup": (5, 4, {"near_duplicate": 1}),
    "seeds_decontaminate": (4, 3, {"contaminated": 1}),
    "seeds_judge": (3, 3, {}),
}


FUNNEL = "results/default/seeds/funnel.json"


def overlay(corpus_dir, **seeds):
    """The seed stage on the fixture corpus, with the LLM judge off (it has its own tests)."""
    return {
        **base_overlay(),
        "seeds": {"corpus": {"sources": [{"kind": "files", "paths": [str(corpus_dir)]}]}, "judge": {"enabled": False}, **seeds},
    }


def executed(proc) -> set[str]:
    return set(re.findall(r"^(?:local)?rule (\w+):", proc.stdout + proc.stderr, re.M)) - {"all"}


@pytest.fixture
def seeded(tmp_path, benchmarks_available):
    fixture_corpus(tmp_path / "corpus")
    wf = Workflow(tmp_path / "run")
    wf.workdir.mkdir()
    config = wf.write_config(overlay(tmp_path / "corpus"))
    return wf, config, tmp_path / "corpus"


def test_funnel_counts_every_file_and_function(seeded):
    wf, config, _ = seeded
    proc = wf.run(FUNNEL, config=config)
    funnel = io.read_json(wf.path("results/default/seeds/funnel.json"))
    got = {s["stage"]: (s["in"], s["out"], s["dropped"]) for s in funnel["steps"]}
    assert got == EXPECTED
    assert funnel["seeds"] == 3
    names = sorted(r["name"] for r in io.read_rows(wf.path("results/default/seeds/clean.parquet")))
    assert names == ["celsius_to_fahrenheit", "mean", "moving_average"]
    hits = io.read_jsonl(wf.path("results/default/seeds/decontamination_hits.jsonl"))
    assert {(h["benchmark"], h["task_id"], h["kind"]) for h in hits} >= {("humaneval", "HumanEval/0", "solution")}
    # the funnel table reaches the terminal (the job's stderr) and the rule's log
    funnel_log = Path(wf.path("results/default/logs/seeds_funnel.log")).read_text()
    assert "seeds_decontaminate" in proc.stderr and "contaminated 1" in proc.stderr and "contaminated 1" in funnel_log


def test_a_changed_param_reruns_only_downstream(seeded):
    wf, config, corpus_dir = seeded
    wf.run(FUNNEL, config=config)
    assert executed(wf.run(FUNNEL, config=config)) == set()
    changed = wf.write_config(overlay(corpus_dir, dedup={"threshold": 0.95}), "changed.yaml")
    assert executed(wf.run(FUNNEL, config=changed)) == {"seeds_dedup", "seeds_decontaminate", "seeds_judge_gather", "seeds_funnel"}
    assert io.read_json(wf.path("results/default/seeds/dedup.stats.json"))["dropped"] == {}


def test_a_changed_stage_module_reruns_that_stage_and_downstream(tmp_path, benchmarks_available):
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    snakefile = copy_checkout(checkout)
    fixture_corpus(tmp_path / "corpus")
    wf = Workflow(tmp_path / "run", snakefile=snakefile)
    wf.workdir.mkdir()
    config = wf.write_config(overlay(tmp_path / "corpus"))
    wf.run(FUNNEL, config=config)
    module = checkout / "src/codealign/seeds/dedup.py"
    module.write_text(module.read_text() + "\n# an edit\n")
    downstream = {"seeds_signatures", "seeds_dedup", "seeds_decontaminate", "seeds_judge_gather", "seeds_funnel"}
    assert executed(wf.run(FUNNEL, config=config)) == downstream
    shared = checkout / "src/codealign/algorithms/dedup.py"  # imported by the dedup stage only, so far
    shared.write_text(shared.read_text() + "\n# an edit\n")
    assert executed(wf.run(FUNNEL, config=config)) == downstream


def test_experiments_share_the_stages_upstream_of_their_difference(seeded):
    wf, _, corpus_dir = seeded
    cfg = overlay(corpus_dir)
    cfg["experiments"] = {"default": {}, "strict-dedup": {"seeds": {"dedup": {"threshold": 0.9}}}}
    proc = wf.run(FUNNEL, "results/strict-dedup/seeds/funnel.json", "--dry-run", config=wf.write_config(cfg))
    jobs = dict(re.findall(r"^(seeds_\w+)\s+(\d+)$", proc.stdout, re.M))
    assert jobs == {
        "seeds_corpus": "1",
        "seeds_extract": "1",
        "seeds_filter": "1",
        "seeds_signatures": "1",
        "seeds_dedup": "2",
        "seeds_decontaminate": "2",
        "seeds_judge_gather": "2",
        "seeds_funnel": "2",
    }
    assert "results/strict-dedup/seeds/dedup.parquet" in proc.stdout
    assert "results/strict-dedup/seeds/filtered/shard-0.parquet" not in proc.stdout


def test_bad_config_fails_before_any_job_naming_the_key(seeded):
    wf, _, corpus_dir = seeded
    bad = overlay(corpus_dir)
    bad["seeds"]["dedup"] = {"threshhold": 0.5}
    proc = wf.run(config=wf.write_config(bad), check=False)
    assert proc.returncode != 0
    assert "seeds.dedup.threshhold: unknown key (did you mean 'threshold'?)" in proc.stderr
    assert not wf.path("results").exists()


def test_missing_corpus_path_fails_at_start(seeded, tmp_path):
    wf, _, _ = seeded
    proc = wf.run(config=wf.write_config(overlay(tmp_path / "nowhere")), check=False)
    assert proc.returncode != 0 and "seeds.corpus.sources[0].paths[0]: no file matches" in proc.stderr


def test_changing_one_experiment_reruns_only_that_experiments_files(seeded):
    wf, _, corpus_dir = seeded
    cfg = overlay(corpus_dir)
    cfg["experiments"] = {"default": {}, "strict-dedup": {"seeds": {"dedup": {"threshold": 0.9}}}}
    wf.run(FUNNEL, "results/strict-dedup/seeds/funnel.json", config=wf.write_config(cfg))
    cfg["experiments"]["strict-dedup"]["seeds"]["dedup"]["threshold"] = 0.8
    proc = wf.run(FUNNEL, "results/strict-dedup/seeds/funnel.json", "--dry-run", config=wf.write_config(cfg))
    outputs = [o for line in re.findall(r"^\s*output: (.+)$", proc.stdout, re.M) for o in line.split(", ")]
    assert outputs and all(o.startswith("results/strict-dedup/seeds/") for o in outputs), outputs
    assert "results/strict-dedup/seeds/dedup.parquet" in outputs


def test_the_sharded_seed_stage_keeps_the_same_survivors_as_one_job(seeded):
    """Six shards of two files each: the duplicate document and the near-duplicate pair land in
    different shards, and the cross-shard gather still keeps exactly what one job keeps."""
    wf, config, corpus_dir = seeded
    wf.run(FUNNEL, config=config)
    one = [r["seed_id"] for r in io.read_rows(wf.path("results/default/seeds/clean.parquet"))]
    sharded = wf.write_config(overlay(corpus_dir, shards=6), "sharded.yaml")
    wf.run(FUNNEL, config=sharded)
    assert wf.path("results/default/seeds/raw/shard-5.parquet").exists()
    assert [r["seed_id"] for r in io.read_rows(wf.path("results/default/seeds/clean.parquet"))] == one
    dedup = io.read_json(wf.path("results/default/seeds/dedup.stats.json"))
    assert dedup["dropped"] == {"near_duplicate": 1, "repeated_function": 2}  # keep_copy.py's two survivors, one shard on
    steps = {s["stage"]: s for s in io.read_json(wf.path(FUNNEL))["steps"]}
    assert steps["seeds_corpus"]["in"] == 12 and steps["seeds_corpus"]["shards"] == 6
    assert steps["seeds_decontaminate"]["out"] == 3
