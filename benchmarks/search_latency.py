"""Search latency of flat (exact) vs HNSW faiss indexes on random unit vectors, + HNSW recall@10.

Per library size: build time, single-query latency p50/p99 (one query per call, threads
pinned, as `timbre search` with one target), and HNSW recall@10 against flat. Random
vectors in 512-d have no cluster structure, so HNSW recall here is a pessimistic bound.
HNSW on 1M vectors takes long to build on small machines: sizes above --hnsw-limit are
measured with --big-ef-construction (default 40, stated in the output) or skipped with 0.

    python benchmarks/search_latency.py --sizes 30000 1000000 --queries 200 --threads 1
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def unit_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, 100_000):  # in blocks: float64 temporaries of 1M x 512 are 4 GB
        block = rng.standard_normal((min(100_000, n - start), dim), dtype=np.float32)
        out[start:start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def latencies_ms(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-query latency (ms) and the top-k ids, one query per search call."""
    times, ids = [], []
    for q in queries:
        start = time.perf_counter()
        _, found = index.search(q[None], k)
        times.append((time.perf_counter() - start) * 1000)
        ids.append(found[0])
    return np.array(times), np.array(ids)


def recall_at_k(approx: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(approx, exact)]))


def bench_size(n: int, args) -> None:
    import faiss

    from timbre.search.ranking import HNSW_EF_SEARCH, HNSW_M, build_hnsw, flat_search

    library = unit_vectors(n, args.dim, seed=n)
    queries = unit_vectors(args.queries, args.dim, seed=1)
    flat = faiss.IndexFlatIP(args.dim)
    flat.add(library)
    flat_ms, exact_ids = latencies_ms(flat, queries, 10)
    start = time.perf_counter()
    flat_search(library, queries, 10)
    batch_s = time.perf_counter() - start
    print(f"n={n:>9,} flat : p50 {np.percentile(flat_ms, 50):8.2f} ms  p99 {np.percentile(flat_ms, 99):8.2f} ms"
          f"  ({args.queries} queries in one call incl. index copy: {batch_s:.2f} s)")
    ef_construction = 200 if n <= args.hnsw_limit else args.big_ef_construction
    if ef_construction <= 0:
        print(f"n={n:>9,} hnsw: skipped (size above --hnsw-limit and --big-ef-construction 0)")
        return
    start = time.perf_counter()
    graph = build_hnsw(library, ef_construction=ef_construction)
    build_s = time.perf_counter() - start
    for ef in sorted({HNSW_EF_SEARCH, *args.ef_search}):
        graph.hnsw.efSearch = ef
        hnsw_ms, approx_ids = latencies_ms(graph, queries, 10)
        print(f"n={n:>9,} hnsw: p50 {np.percentile(hnsw_ms, 50):8.2f} ms  p99 {np.percentile(hnsw_ms, 99):8.2f} ms"
              f"  recall@10 {recall_at_k(approx_ids, exact_ids):.3f}  (M={HNSW_M}, efConstruction="
              f"{ef_construction}, efSearch={ef}, build {build_s:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="faiss/BLAS threads (1 = pinned)")
    parser.add_argument("--ef-search", type=int, nargs="*", default=[64, 256])
    parser.add_argument("--hnsw-limit", type=int, default=100_000)
    parser.add_argument("--big-ef-construction", type=int, default=40)
    args = parser.parse_args()

    from timbre.runtime import configure_faiss, pin_threads

    pin_threads(args.threads)
    configure_faiss(args.threads)
    print(f"dim={args.dim} threads={args.threads} queries={args.queries}")
    for n in args.sizes:
        bench_size(n, args)


if __name__ == "__main__":
    main()
