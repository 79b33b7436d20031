"""The request cache and the sharded runner: resumable, and a resumed shard equals an uninterrupted one."""

from codealign.generation import runner
from codealign.generation.backend import Completion, Request, Sampling
from codealign.generation.cache import RequestCache

from conftest import tiny_spec


def requests(n):
    return [Request(f"def f{i}(x):\n", Sampling(temperature=1.0, max_new_tokens=12, n=2, seed=100 + i)) for i in range(n)]


def test_cache_ignores_a_torn_last_line(tmp_path):
    path = tmp_path / "cache.jsonl"
    cache = RequestCache(path)
    cache.put_many([("a", [Completion("x", "stop", 3, 1)])])
    with open(path, "a") as fh:
        fh.write('{"key": "b", "value": [{"text": "half')  # a kill mid-write
    reread = RequestCache(path)
    assert "a" in reread and "b" not in reread and reread.torn == 1
    reread.put_many([("c", [Completion("y", "length", 3, 2)])])
    assert set(RequestCache(path).entries) == {"a", "c"}


def test_everything_cached_loads_no_model(tmp_path, tiny_model):
    spec = tiny_spec(tiny_model)
    reqs = requests(3)
    first, stats = runner.run(reqs, spec, str(tmp_path / "c.jsonl"))
    assert stats.generated == 3
    # The model folder is gone, but every request is cached under its fingerprint: nothing loads.
    broken = type(spec)(spec.kind, str(tmp_path / "model-gone"), spec.model_fingerprint, True, spec.settings, spec.threads)
    again, stats = runner.run(reqs, broken, str(tmp_path / "c.jsonl"))
    assert again == first and stats.cached == 3 and stats.generated == 0


def test_resume_regenerates_only_unfinished_chunks_and_matches(tmp_path, tiny_model):
    spec = tiny_spec(tiny_model, batch_size=4)  # n=2 → 2 requests per chunk
    reqs = requests(7)
    full, _ = runner.run(reqs, spec, str(tmp_path / "full.jsonl"))

    # A run killed after its first two chunks: keep those cache lines, plus a torn one.
    lines = (tmp_path / "full.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "killed.jsonl").write_text("".join(lines[:4]) + lines[4][:30])
    resumed, stats = runner.run(reqs, spec, str(tmp_path / "killed.jsonl"))
    assert resumed == full
    assert stats.cached == 4 and stats.generated == 3


def test_keys_change_with_prompt_sampling_and_model(tiny_model):
    spec = tiny_spec(tiny_model)
    r = requests(1)[0]
    other_seed = Request(r.prompt, Sampling(temperature=1.0, max_new_tokens=12, n=2, seed=999))
    other_model = type(spec)(spec.kind, spec.model_path, "another-fingerprint", True, spec.settings)
    keys = {spec.request_key(r), spec.request_key(other_seed), other_model.request_key(r), spec.request_key(Request(r.prompt + " ", r.sampling))}
    assert len(keys) == 4
    assert spec.request_key(r) == spec.request_key(Request(r.prompt, Sampling(temperature=1.0, max_new_tokens=12, n=2, seed=100)))
