"""The request cache and the sharded runner: resumable, and a resumed shard equals an uninterrupted one."""

import pytest
from conftest import tiny_spec

from codealign.generation import runner
from codealign.generation.backend import Completion, Request, Sampling
from codealign.generation.cache import RequestCache


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
    assert stats["generated"] == 3
    # The model folder is gone, but every request is cached under its fingerprint: nothing loads.
    broken = type(spec)(spec.kind, str(tmp_path / "model-gone"), spec.model_fingerprint, True, spec.settings, spec.threads)
    again, stats = runner.run(reqs, broken, str(tmp_path / "c.jsonl"))
    assert again == first and stats["cached"] == 3 and stats["generated"] == 0


def test_resume_regenerates_only_unfinished_chunks_and_matches(tmp_path, tiny_model):
    spec = tiny_spec(tiny_model, batch_size=4)  # n=2 → 2 requests per chunk
    reqs = requests(7)
    full, _ = runner.run(reqs, spec, str(tmp_path / "whole" / "full.jsonl"), compact=False)  # keep the journal to cut

    # A run killed after its first two chunks: keep those cache lines, plus a torn one.
    lines = (tmp_path / "whole" / "full.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "killed").mkdir()
    (tmp_path / "killed" / "killed.jsonl").write_text("".join(lines[:4]) + lines[4][:30])
    resumed, stats = runner.run(reqs, spec, str(tmp_path / "killed" / "killed.jsonl"))
    assert resumed == full
    assert stats["cached"] == 4 and stats["generated"] == 3


def test_keys_change_with_prompt_sampling_and_model(tiny_model):
    spec = tiny_spec(tiny_model)
    r = requests(1)[0]
    other_seed = Request(r.prompt, Sampling(temperature=1.0, max_new_tokens=12, n=2, seed=999))
    other_model = type(spec)(spec.kind, spec.model_path, "another-fingerprint", True, spec.settings)
    keys = {
        spec.request_key(r),
        spec.request_key(other_seed),
        other_model.request_key(r),
        spec.request_key(Request(r.prompt + " ", r.sampling)),
    }
    assert len(keys) == 4
    assert spec.request_key(r) == spec.request_key(Request(r.prompt, Sampling(temperature=1.0, max_new_tokens=12, n=2, seed=100)))


@pytest.mark.parametrize(
    "kind,changes",
    [
        ("transformers", {"dtype": "bfloat16", "device": "cuda", "batch_size": 4}),
        (
            "vllm",
            {
                "dtype": "float16",
                "max_model_len": 8192,
                "tensor_parallel_size": 2,
                "gpu_memory_utilization": 0.5,
                "enable_prefix_caching": False,
                "enforce_eager": True,
                "chunk_requests": 8,
                "deterministic_batches": False,
                "python": "/opt/other-vllm/bin/python",
            },
        ),
        ("openai", {"base_url": "http://127.0.0.1:9000/v1", "model": "another-served-model"}),
    ],
)
def test_every_backend_setting_that_changes_outputs_changes_the_key(kind, changes):
    from codealign.generation.backend import BackendSpec

    r = Request("def f():", Sampling(temperature=0.0, max_new_tokens=4, n=1, seed=1))
    base = BackendSpec(kind, "m", "fp", True, {})
    for key, value in changes.items():
        assert BackendSpec(kind, "m", "fp", True, {key: value}).request_key(r) != base.request_key(r), key
    quiet = {"timeout_s": 1, "progress_interval_s": 99, "startup_timeout_s": 5, "max_retries": 0, "backoff_s": 9}
    assert BackendSpec(kind, "m", "fp", True, quiet).request_key(r) == base.request_key(r)  # only how long it takes


def test_re_sharding_generates_no_new_request(tmp_path, tiny_model):
    """The cache is keyed by the request: shards of another size find every answer already made."""
    from codealign.shards import shard_bounds

    spec = tiny_spec(tiny_model)
    reqs = requests(5)
    folder = tmp_path / "cache"

    def shard(k, n):
        start, end = shard_bounds(len(reqs), k, n)
        return runner.run(reqs[start:end], spec, str(folder / f"shard-{k}-of-{n}.jsonl"))

    two = [shard(k, 2) for k in range(2)]
    assert sum(s["generated"] for _, s in two) == 5
    three = [shard(k, 3) for k in range(3)]
    assert [s["generated"] for _, s in three] == [0, 0, 0]
    assert [c for out, _ in three for c in out] == [c for out, _ in two for c in out]
