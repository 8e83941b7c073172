"""A 2-D map of the library: presets that sound alike land close together.

``layout_2d`` is a small UMAP-like embedding in plain numpy: an exact cosine kNN graph (faiss),
fuzzy edge weights, a PCA start, then stochastic gradient descent that pulls kNN neighbours
together and pushes random pairs apart. PCA alone keeps only the two widest directions, so
clusters that differ elsewhere overlap; the kNN graph keeps each preset's neighbours nearby.
"""

from __future__ import annotations

import numpy as np

from timbre.index.head_caches import head_cache_key
from timbre.progress import Progress, ensure_progress

NEIGHBOURS = 15
NEGATIVES = 5  # repulsive samples per attractive update, as in UMAP
KNN_CHUNK = 2048  # query rows per faiss call: bounds the (chunk, n) score matrix
MAX_GRAD = 4.0
INIT_SPREAD = 10.0
#: Part of the cache key: bump it whenever the layout changes, so no stale map is served.
LAYOUT_VERSION = 1


def layout_2d(vectors: np.ndarray, *, seed: int = 0, progress: Progress | None = None) -> np.ndarray:
    """``(n, 2)`` float32 map coordinates in [0, 1] for ``(n, d)`` vectors (compared by cosine).

    Neighbours in the vector space stay neighbours on the map. The same vectors and ``seed``
    give the same map. Both axes share one scale (the map keeps its aspect ratio) and the
    shorter one is centred on 0.5; a single point lies at (0.5, 0.5)."""
    x = _unit_rows(vectors)
    n = len(x)
    progress = ensure_progress(progress)
    epochs = 500 if n <= 10_000 else 200
    progress.start(epochs + 1, "map", unit="step")
    try:
        if n <= 2:
            coords = _pca_init(x, np.random.default_rng(seed)) if n else np.zeros((0, 2), np.float32)
            progress.advance(epochs + 1)
            return _fit_unit_square(coords)
        rng = np.random.default_rng(seed)
        ids, sims = knn_graph(x, min(NEIGHBOURS, n - 1))
        head, tail, weight = _fuzzy_edges(ids, sims)
        progress.advance(1)
        coords = _pca_init(x, rng)
        _optimise(coords, head, tail, weight, epochs, rng, progress)
        return _fit_unit_square(coords)
    finally:
        progress.close()


def library_map(lib, head=None, progress: Progress | None = None) -> np.ndarray:
    """The map of ``lib.vectors`` (``head``-projected if a head is given), row i = ``lib.records[i]``.

    Cached in the index per index state and head, so it is computed once."""
    what = f"map{LAYOUT_VERSION}"
    key = f"{what}-base" if head is None else head_cache_key(head.id, what)

    def compute() -> np.ndarray:
        from timbre.search.space import plain_space

        return layout_2d(plain_space(lib, head), progress=progress)

    return lib.cached_array(key, compute)


def knn_graph(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` nearest other rows by inner product: ``(ids, similarities)``, both ``(n, k)``."""
    from timbre.search.ranking import _faiss

    faiss = _faiss()
    n = len(x)
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    ids = np.empty((n, k), np.int64)
    sims = np.empty((n, k), np.float32)
    for start in range(0, n, KNN_CHUNK):
        stop = min(start + KNN_CHUNK, n)
        found_sims, found = index.search(x[start:stop], k + 1)
        rows = np.arange(start, stop)[:, None]
        # drop the row itself; among duplicates it need not come first, so drop it by id
        not_self = found != rows
        not_self[not_self.sum(axis=1) > k, -1] = False  # self absent (ties): keep the first k
        ids[start:stop] = found[not_self].reshape(-1, k)
        sims[start:stop] = found_sims[not_self].reshape(-1, k)
    return ids, sims


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    x = np.nan_to_num(np.asarray(vectors, dtype=np.float32))
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x / np.where(norms > 0, norms, 1), dtype=np.float32)


def _fuzzy_edges(ids: np.ndarray, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UMAP's edge weights: exp(-(d - d_nearest) / sigma), sigma set so each row sums to log2(k)."""
    dist = np.sqrt(np.maximum(2.0 - 2.0 * sims.astype(np.float64), 0.0))  # chord distance of unit vectors
    gap = dist - dist[:, :1]
    target = np.log2(dist.shape[1])
    lo, hi = np.zeros(len(dist)), np.full(len(dist), np.inf)
    sigma = np.ones(len(dist))
    for _ in range(64):  # per-row bisection, all rows at once
        too_big = np.exp(-gap / sigma[:, None]).sum(axis=1) > target
        hi = np.where(too_big, sigma, hi)
        lo = np.where(too_big, lo, sigma)
        sigma = np.where(np.isinf(hi), sigma * 2, (lo + hi) / 2)
    weight = np.exp(-gap / np.maximum(sigma, 1e-3 * max(dist.mean(), 1e-12))[:, None])
    head = np.repeat(np.arange(len(ids)), ids.shape[1])
    return head, ids.ravel(), weight.ravel().astype(np.float32)


def _pca_init(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Top-2 principal coordinates scaled to ``INIT_SPREAD``, jittered so duplicates can separate."""
    centred = x - x.mean(axis=0)
    _, eigvecs = np.linalg.eigh((centred.T @ centred).astype(np.float64))
    directions = eigvecs[:, ::-1][:, :2]
    cols = np.arange(directions.shape[1])
    directions *= np.where(directions[np.abs(directions).argmax(axis=0), cols] < 0, -1, 1)  # fixed sign
    coords = centred @ directions.astype(np.float32)
    if coords.shape[1] < 2:
        coords = np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))
    spread = np.abs(coords).max()
    coords = coords * (INIT_SPREAD / spread) if spread > 0 else coords
    return (coords + rng.normal(scale=1e-4 * INIT_SPREAD, size=coords.shape)).astype(np.float32)


def _optimise(coords, head, tail, weight, epochs, rng, progress) -> None:
    """UMAP's SGD with a Cauchy kernel (a = b = 1): edges fire in proportion to their weight,
    pull their two ends together and push their head away from ``NEGATIVES`` random points."""
    rate = weight / weight.max()
    n = len(coords)
    xs, ys = np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1])  # 1-D gathers are fast
    for epoch in range(epochs):
        alpha = 1.0 - epoch / epochs
        fire = np.floor((epoch + 1) * rate) > np.floor(epoch * rate)
        h, t = head[fire], tail[fire]
        dx, dy = xs[h] - xs[t], ys[h] - ys[t]
        coef = -2.0 / (1.0 + dx * dx + dy * dy)
        pull_x, pull_y = _clip(coef * dx), _clip(coef * dy)
        hn = np.repeat(h, NEGATIVES)
        others = rng.integers(0, n, size=len(hn), dtype=np.int32)
        dx, dy = xs[hn] - xs[others], ys[hn] - ys[others]
        d2 = dx * dx + dy * dy
        coef = np.where(others == hn, 0.0, 2.0 / ((0.001 + d2) * (1.0 + d2))).astype(np.float32)
        push_x = _clip(coef * dx).reshape(-1, NEGATIVES).sum(axis=1)
        push_y = _clip(coef * dy).reshape(-1, NEGATIVES).sum(axis=1)
        xs += alpha * (np.bincount(h, pull_x + push_x, n) - np.bincount(t, pull_x, n)).astype(np.float32)
        ys += alpha * (np.bincount(h, pull_y + push_y, n) - np.bincount(t, pull_y, n)).astype(np.float32)
        progress.advance(1)
    coords[:, 0], coords[:, 1] = xs, ys


def _clip(grad: np.ndarray) -> np.ndarray:
    return np.clip(grad, -MAX_GRAD, MAX_GRAD, out=grad)


def _fit_unit_square(coords: np.ndarray) -> np.ndarray:
    out = np.full((len(coords), 2), 0.5, np.float32)
    if len(coords) == 0:
        return out
    low, high = coords.min(axis=0), coords.max(axis=0)
    scale = (high - low).max()
    if not np.isfinite(scale) or scale <= 0:
        return out
    out[:] = (coords - (low + high) / 2) / scale + 0.5
    return np.clip(out, 0.0, 1.0)
