"""Figures and provenance from stats files: the right numbers go into the right places."""

import hashlib
import subprocess

from codealign import io
from codealign.report import figures, provenance


def stats(path, n_in, n_out, **extra):
    io.write_json(path, {"stage": "x", "in": n_in, "out": n_out, "dropped": {}, **extra})
    return str(path)


def test_the_funnel_reads_each_step_from_its_stage(tmp_path):
    funnel = tmp_path / "funnel.json"
    io.write_json(funnel, {"steps": [{"stage": "seeds_corpus", "in": 12, "out": 10}, {"stage": "seeds_extract", "in": 10, "out": 2298}]})
    counts = figures.funnel_counts(
        funnel=str(funnel),
        judged=stats(tmp_path / "j.json", 401, 64),
        instructions=stats(tmp_path / "i.json", 64, 57),
        responses=stats(tmp_path / "r.json", 570, 142),
        execution=stats(tmp_path / "e.json", 142, 4),
        sft=stats(tmp_path / "s.json", 57, 3),
    )
    assert counts == {"functions": 2298, "seeds": 64, "instructions": 57, "responses": 570, "passing": 4, "SFT set": 3}
    assert [name for name, _ in figures.PAPER_FUNNEL] == list(counts)
    figures.plot_funnel(counts, str(tmp_path / "funnel.png"))
    assert (tmp_path / "funnel.png").read_bytes().startswith(b"\x89PNG")


def test_timing_tables_are_summed_per_rule_from_the_owning_directories(tmp_path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    for rel, seconds, rss in (
        ("a/benchmarks/responses/shard-0.tsv", 10.0, 500),
        ("a/benchmarks/responses/shard-1.tsv", 5.5, 700),
        ("b/benchmarks/selection.tsv", 2.0, 100),
        ("a/benchmarks/selection.tsv", 99.0, 1),
    ):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + f"{seconds}\t0:00:10\t{rss}\t1\t1\t1\t1\t1\t1\t1\n")
    rows = figures.timing_rows({"responses": [str(tmp_path / "a")], "selection": [str(tmp_path / "b")], "train": [str(tmp_path / "a")]})
    assert rows == [("responses", 15.5, 700.0), ("selection", 2.0, 100.0)]  # from b, its owner, not a; train never ran
    figures.plot_throughput({"responses": [str(tmp_path / "a")]}, str(tmp_path / "t.png"))
    assert (tmp_path / "t.png").exists()


def test_provenance_records_code_state_inputs_and_cluster_jobs(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    (repo / "f.txt").write_text("one")
    git("add", "f.txt")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "c")
    clean = provenance.git_state(str(repo))
    assert len(clean["commit"]) == 40 and clean["dirty"] is False
    (repo / "f.txt").write_text("two")
    assert provenance.git_state(str(repo))["dirty"] is True
    assert provenance.git_state(str(tmp_path / "nowhere")) == {"commit": None, "dirty": None}

    data = tmp_path / "data.bin"
    data.write_bytes(b"abc" * 1000)
    for job in ("17", "18"):
        log = tmp_path / "work" / "results" / "slurm-logs" / "rule_x" / "default" / f"{job}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
    record = provenance.provenance(
        experiment="e",
        config={"models": {"base": "gguf:pkg"}, "random_seed": 7},
        basedir=str(repo),
        workdir=str(tmp_path / "work"),
        model_paths={"base": str(repo)},
        inputs={"data": str(data), "gone": str(tmp_path / "no")},
    )
    assert record["inputs"] == {"data": {"path": str(data), "sha256": hashlib.sha256(b"abc" * 1000).hexdigest()}}
    assert record["random_seed"] == 7 and record["code"]["dirty"] is True and record["cluster_jobs"] == ["17", "18"]
    assert record["models"]["base"]["source"] == "gguf:pkg" and record["models"]["base"]["fingerprint"] != f"hub:{repo}"
    assert record["hardware"]["cpus"] >= 1 and "torch" in record["packages"]


def test_provenance_says_how_generated_code_ran(tmp_path):
    from codealign import io

    io.write_json(tmp_path / "execution.stats.json", {"sandbox": {"isolation": "nsjail", "python": "/usr/bin/python3"}})
    io.write_json(tmp_path / "scores.json", {"scores": [{"benchmark": "ds1000", "model": "base", "isolation": "namespaces"}]})
    record = provenance.provenance(
        experiment="e",
        config={"models": {}},
        basedir=str(tmp_path),
        workdir=str(tmp_path),
        model_paths={},
        inputs={"execution_stats": str(tmp_path / "execution.stats.json"), "scores": str(tmp_path / "scores.json")},
    )
    assert record["sandbox"] == {
        "execution": {"isolation": "nsjail", "python": "/usr/bin/python3"},
        "scores": {"ds1000/base": "namespaces"},
    }


def test_the_data_browser_samples_the_same_items_for_the_same_seed():
    from codealign.report import browser

    rows = [{"item_id": f"i{n}", "reason": "empty" if n % 3 else "truncated"} for n in range(40)]
    first = browser.sample(rows, "item_id", 5, random_seed=1)
    assert first == browser.sample(list(reversed(rows)), "item_id", 5, random_seed=1)  # input order does not matter
    assert first != browser.sample(rows, "item_id", 5, random_seed=2)
    groups = browser.by_reason(rows, 3, random_seed=1)
    assert sorted(groups) == ["empty", "truncated"] and all(len(g) == 3 for g in groups.values())


def test_a_long_cell_is_cut_and_escaped():
    from codealign.report import browser

    page = browser.table([{"text": "<script>" + "x" * 5000}], ["text"])
    assert "&lt;script&gt;" in page and "<script>" not in page and "more characters" in page
