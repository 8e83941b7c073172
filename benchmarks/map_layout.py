"""Time and quality of the library map (``timbre.library_map.layout_2d``) on clustered random vectors.

Prints one JSON line: points, dim, seconds (whole layout), knn_seconds (the exact kNN graph
alone, timed separately), neighbour_preservation (mean share of each sampled point's 10
nearest vectors by cosine that are among its 10 nearest on the map), cluster_purity (mean
share of a point's 10 nearest on the map from its own top-level cluster), and both for the
top-2 PCA projection, the baseline the map must beat.

    TIMBRE_THREADS=2 python benchmarks/map_layout.py --points 30000 --dim 512
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def clustered_vectors(n: int, dim: int, clusters: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(unit vectors, cluster ids): ``clusters`` random centres, 10 sub-centres around each (like
    folders in a bank), points with ``noise`` around a sub-centre."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim), dtype=np.float32)
    subs = np.repeat(centres, 10, axis=0) + 0.7 * rng.standard_normal((clusters * 10, dim), dtype=np.float32)
    sub = rng.integers(0, len(subs), n)
    x = subs[sub] + noise * rng.standard_normal((n, dim), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True), sub // 10


def cluster_purity(coords: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    """Mean share of each point's ``k`` nearest map neighbours that come from its cluster."""
    from timbre.search.ranking import _faiss

    index = _faiss().IndexFlatL2(2)
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    index.add(coords)
    _, near = index.search(coords, k + 1)
    return float((labels[near[:, 1:]] == labels[:, None]).mean())


def neighbour_preservation(vectors: np.ndarray, coords: np.ndarray, sample: int, k: int = 10) -> float:
    """Mean overlap of the ``k`` nearest neighbours by cosine and on the map, over ``sample`` rows."""
    from timbre.search.ranking import _faiss

    faiss = _faiss()
    rows = np.random.default_rng(0).choice(len(vectors), min(sample, len(vectors)), replace=False)
    high = faiss.IndexFlatIP(vectors.shape[1])
    high.add(vectors)
    low = faiss.IndexFlatL2(2)
    low.add(np.ascontiguousarray(coords, dtype=np.float32))
    _, near_high = high.search(vectors[rows], k + 1)
    _, near_low = low.search(np.ascontiguousarray(coords[rows], dtype=np.float32), k + 1)
    shared = [len((set(a) & set(b)) - {r}) / k for r, a, b in zip(rows, near_high, near_low)]
    return float(np.mean(shared))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=30000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument("--sample", type=int, default=2000, help="rows scored for neighbour preservation")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from timbre.library_map import NEIGHBOURS, _pca_init, _unit_rows, knn_graph, layout_2d

    vectors, labels = clustered_vectors(args.points, args.dim, args.clusters, args.noise, args.seed)
    start = time.perf_counter()
    knn_graph(_unit_rows(vectors), min(NEIGHBOURS, args.points - 1))
    knn_seconds = time.perf_counter() - start
    start = time.perf_counter()
    coords = layout_2d(vectors, seed=args.seed)
    seconds = time.perf_counter() - start
    pca = _pca_init(vectors, np.random.default_rng(args.seed))
    print(json.dumps({
        "points": args.points,
        "dim": args.dim,
        "seconds": round(seconds, 2),
        "knn_seconds": round(knn_seconds, 2),
        "neighbour_preservation": round(neighbour_preservation(vectors, coords, args.sample), 3),
        "pca_neighbour_preservation": round(neighbour_preservation(vectors, pca, args.sample), 3),
        "cluster_purity": round(cluster_purity(coords, labels), 3),
        "pca_cluster_purity": round(cluster_purity(pca, labels), 3),
    }))


if __name__ == "__main__":
    main()
