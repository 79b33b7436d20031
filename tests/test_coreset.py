"""KCenterGreedy: the vectorized, chunked greedy picks exactly what a plain greedy picks, keeps within
twice the optimal k-center radius found by brute force, and embeds with the real MiniLM model."""

import itertools

import numpy as np
import pytest

from codealign import io
from codealign.codeocean import coreset


def naive_greedy(x, k, start):
    """The textbook greedy, float64, one full distance pass per pick."""
    picks = [start]
    nearest = np.linalg.norm(x - x[start], axis=1)
    radii = [nearest.max()]
    while len(picks) < k:
        far = int(np.argmax(nearest))
        picks.append(far)
        nearest = np.minimum(nearest, np.linalg.norm(x - x[far], axis=1))
        radii.append(nearest.max())
    return picks, radii


def radius(x, picks):
    d = np.linalg.norm(x[:, None, :] - x[None, list(picks), :], axis=2)
    return d.min(axis=1).max()


@pytest.mark.parametrize("seed", range(5))
def test_greedy_matches_the_plain_greedy_whatever_the_chunk(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(300, 16)).astype(np.float32)
    expected, expected_radii = naive_greedy(x.astype(np.float64), 25, start=7)
    for chunk in (1, 17, 300, 65536):
        picks, radii = coreset.k_center_greedy(x, 25, start=7, chunk=chunk)
        assert picks.tolist() == expected
        np.testing.assert_allclose(radii, expected_radii, rtol=1e-4)
    assert all(a >= b for a, b in zip(radii, radii[1:]))  # coverage only improves


@pytest.mark.parametrize("seed", range(4))
def test_greedy_stays_within_twice_the_brute_force_optimum(seed):
    rng = np.random.default_rng(100 + seed)
    x = rng.normal(size=(14, 3))
    for k in (1, 2, 3, 4):
        optimum = min(radius(x, subset) for subset in itertools.combinations(range(len(x)), k))
        picks, radii = coreset.k_center_greedy(x, k, start=int(rng.integers(len(x))))
        assert len(set(picks.tolist())) == k
        assert radii[-1] == pytest.approx(radius(x, picks), rel=1e-5)
        assert optimum <= radii[-1] <= 2 * optimum + 1e-9


def test_greedy_stops_once_every_item_is_covered():
    x = np.repeat(np.eye(3, dtype=np.float32), 4, axis=0)  # 3 distinct points, 4 copies each
    picks, radii = coreset.k_center_greedy(x, 10, start=0)
    assert len(picks) == 3 and radii[-1] == 0.0
    assert sorted(int(p) // 4 for p in picks) == [0, 1, 2]
    assert coreset.k_center_greedy(x, 0, start=0)[0].size == 0
    with pytest.raises(ValueError, match="out of range"):
        coreset.k_center_greedy(x, 2, start=12)


def test_embeddings_come_from_the_packaged_minilm_and_bad_files_are_caught(tmp_path):
    texts = [
        "Return the sum of two numbers.\n\ndef add(a, b):\n    return a + b",
        "Add two integers.\n\ndef plus(x, y):\n    return x + y",
        "Open a TCP socket to a host.\n\nfunction connect(host) { return net.connect(host); }",
    ]
    v = coreset.embed_texts(texts, None, batch_size=2)
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]  # the two adders are closer than the socket

    good = tmp_path / "e.npy"
    np.save(good, v)
    assert coreset.load_embeddings(str(good), 3).shape == (3, 384)
    with pytest.raises(io.CorruptShardError, match="do not match 4"):
        coreset.load_embeddings(str(good), 4)
    bad = tmp_path / "bad.npy"
    bad.write_bytes(good.read_bytes()[:100])
    with pytest.raises(io.CorruptShardError):
        coreset.load_embeddings(str(bad), 3)
