"""Nearest neighbours by cosine (inner product of unit vectors) with faiss: exact or HNSW.

The HNSW graph is cached in the index's cache folder, keyed by the index state, so it is
built once per library version and rebuilt automatically after ``timbre index`` changes it.
"""

from __future__ import annotations

import os

import numpy as np

from timbre.index import store
from timbre.index.head_caches import head_of_key

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128
_faiss_pinned = False


def _faiss():
    """faiss, with its OpenMP threads pinned once per process (library callers skip the CLI's pinning)."""
    import faiss

    global _faiss_pinned
    if not _faiss_pinned:
        from timbre.runtime import configure_faiss

        configure_faiss()
        _faiss_pinned = True
    return faiss


def flat_search(library: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` (scores, row ids) per query; ids of missing hits are -1."""
    faiss = _faiss()

    index = faiss.IndexFlatIP(library.shape[1])
    index.add(np.ascontiguousarray(library, dtype=np.float32))
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, len(library)))


def build_hnsw(library: np.ndarray, m: int = HNSW_M, ef_construction: int = HNSW_EF_CONSTRUCTION):
    """A faiss ``IndexHNSWFlat`` with the inner-product metric over ``library``."""
    faiss = _faiss()

    index = faiss.IndexHNSWFlat(library.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    index.add(np.ascontiguousarray(library, dtype=np.float32))
    return index


def load_or_build_hnsw(lib, key: str, library: np.ndarray, state: str | None = None):
    """The HNSW graph of ``library`` from ``lib``'s cache (built and saved when missing/stale;
    ``state`` as in ``LibraryIndex.cache_file``)."""
    faiss = _faiss()

    try:
        # a head's graph keeps its head's prefix, so it is retired with the head's other data
        path = lib.cache_file(f"{key}-hnsw" if head_of_key(key) else f"hnsw-{key}", ".faiss", state)
    except OSError:  # read-only index folder
        return build_hnsw(library)
    if os.path.exists(path):
        try:
            index = faiss.read_index(path)
            if index.ntotal == len(library):
                return index
        except RuntimeError:  # damaged cache file: rebuild it
            pass
    index = build_hnsw(library)
    tmp = store.temp_path(path)
    try:
        with store.removed_on_failure(tmp):
            faiss.write_index(index, tmp)
            os.replace(tmp, path)
    except (OSError, RuntimeError):  # full disk or read-only: the graph just is not cached
        pass
    return index


def hnsw_search(index, queries: np.ndarray, k: int, ef_search: int = HNSW_EF_SEARCH):
    """Approximate top-``k`` (scores, row ids) from an HNSW graph."""
    index.hnsw.efSearch = max(ef_search, k)
    return index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, index.ntotal))
