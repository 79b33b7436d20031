"""The transformers backend: seeded, batch-independent samples, stop strings, finish reasons."""

import pytest
from conftest import tiny_spec

from codealign.generation.backend import BackendUnavailable, Request, Sampling

PROMPT = "### Instruction\nWrite a function.\n### Response\n"


@pytest.fixture(scope="module")
def backend(tiny_model):
    b = tiny_spec(tiny_model).build()
    yield b
    b.close()


def sampled(seed, n=1, max_new_tokens=24, **kw):
    return Request(PROMPT, Sampling(temperature=1.0, max_new_tokens=max_new_tokens, n=n, seed=seed, **kw))


def texts(results):
    return [[c.text for c in r] for r in results]


def test_same_request_same_samples(backend):
    assert texts(backend.generate([sampled(7, n=3)])) == texts(backend.generate([sampled(7, n=3)]))


def test_samples_do_not_depend_on_batch_mates(backend):
    alone = texts(backend.generate([sampled(7, n=2)]))[0]
    together = texts(backend.generate([sampled(1), sampled(7, n=2), Request("def add(a, b):", sampled(3).sampling)]))[1]
    assert alone == together


def test_different_seeds_give_different_samples(backend):
    results = texts(backend.generate([sampled(seed) for seed in range(6)]))
    assert len({r[0] for r in results}) > 1


def test_n_samples_of_one_request_differ(backend):
    (samples,) = texts(backend.generate([sampled(11, n=4)]))
    assert len(samples) == 4 and len(set(samples)) > 1


def test_greedy_is_deterministic(backend):
    greedy = Request(PROMPT, Sampling(temperature=0.0, max_new_tokens=16, seed=None))
    assert texts(backend.generate([greedy])) == texts(backend.generate([greedy, sampled(3)]))[:1]


def test_length_limit_is_reported(backend):
    (result,) = backend.generate([Request(PROMPT, Sampling(temperature=1.0, max_new_tokens=5, seed=2))])
    c = result[0]
    if c.finish_reason == "length":
        assert c.completion_tokens == 5
    else:  # it happened to emit the end-of-sequence token early
        assert c.completion_tokens < 5
    assert c.prompt_tokens == len(backend.tokenizer(PROMPT).input_ids)


def test_stop_string_cuts_the_text(backend):
    free = backend.generate([sampled(5, n=4, max_new_tokens=40)])[0]
    stop = next((ch for c in free for ch in c.text if ch.strip()), None)
    assert stop is not None, "random model produced only whitespace"
    stopped = backend.generate([sampled(5, n=4, max_new_tokens=40, stop=(stop,))])[0]
    for c in stopped:
        assert stop not in c.text
    assert any(c.finish_reason == "stop" for c in stopped)


def test_missing_model_folder_is_a_clear_error(tmp_path):
    spec = tiny_spec(tmp_path / "nope")
    with pytest.raises(BackendUnavailable, match="has no config.json"):
        spec.check()


def test_a_model_fingerprint_covers_every_byte_of_a_small_file_and_both_ends_of_a_large_one(tmp_path):
    """README: each file's path, size, first MiB and last MiB (the whole file under 2 MiB)."""
    from codealign.generation.models import fingerprint

    mib = 1 << 20
    model = tmp_path / "model"
    model.mkdir()
    sizes = {"config.json": 100, "tokenizer.json": mib + mib // 2, "model.safetensors": 5 * mib}
    for name, size in sizes.items():
        (model / name).write_bytes(bytes(size))
    before = fingerprint(str(model))
    assert before == fingerprint(str(model)) and len(before) == 16

    def changed(name: str, offset: int) -> str:
        data = bytearray((model / name).read_bytes())
        data[offset] ^= 1
        (model / name).write_bytes(bytes(data))
        try:
            return fingerprint(str(model))
        finally:
            data[offset] ^= 1
            (model / name).write_bytes(bytes(data))

    assert changed("config.json", 99) != before
    assert changed("tokenizer.json", mib + 10) != before  # between the first MiB and a last MiB of a 1.5 MiB file
    assert changed("model.safetensors", 0) != before and changed("model.safetensors", 5 * mib - 1) != before
    assert changed("model.safetensors", 2 * mib) == before  # the middle of a large file is not read: cheap by design
    (model / "codealign_training.json").write_text('{"train_seconds": 14.5}')
    assert fingerprint(str(model)) == before  # the training record's timings are not the model
    (model / "extra.txt").write_bytes(b"")
    assert fingerprint(str(model)) != before  # a file's name counts even when it is empty
