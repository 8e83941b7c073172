"""What a search compares against: the library's presets, each as one or more pitch views.

``library_space`` gives ``(rows, views, dim)``: the index's views (:mod:`timbre.index.views`)
or its plain vectors (one view), in the base space or through a head. ``nearest_rows`` ranks
presets by their best view, so a search returns presets, never views.
"""

from __future__ import annotations

import numpy as np

from timbre.errors import HeadError
from timbre.search import ranking


def library_space(lib, head=None) -> tuple[tuple[str, str | None], np.ndarray]:
    """``(key, vectors (rows, views, dim))`` of ``lib`` in the base space or ``head``'s; ``key``,
    ``(name, state)``, names the space for caches (e.g. an HNSW graph): with views, their state is
    part of the cache state, so a cache made before more views were computed is replaced, not kept
    beside the new one. Kept in memory per ``lib``."""
    from timbre.index.views import view_semitones, views_state

    views_key = f"views-{views_state(lib)}" if view_semitones(lib) else ""
    name = ("base" if head is None else f"head-{head.id}") + ("-views" if views_key else "")
    key = (name, f"{lib.state_id}-{views_key}" if views_key else None)

    base = lib.memoized(("space", "base", key[1]), lambda: _base_views(lib))
    if head is None:
        return key, base

    def compute() -> np.ndarray:
        if not views_key:
            return plain_space(lib, head)[:, None, :]
        _check_head(lib, head)
        flat = lib.cached_array(key[0], lambda: project_checked(head, base.reshape(-1, base.shape[2])), key[1])
        return flat.reshape(base.shape[0], base.shape[1], -1)

    return key, lib.memoized(("space", name, key[1]), compute)


def plain_space(lib, head=None) -> np.ndarray:
    """``(rows, dim)``: each preview's own vector (as recorded, no pitch views), in the base space
    or through ``head`` (checked against the index's embedder, cached in the index). For comparing
    previews with previews, which sit at the same pitch: the map, labeling questions."""
    if head is None:
        return lib.vectors
    _check_head(lib, head)
    return lib.cached_array(f"head-{head.id}", lambda: project_checked(head, lib.vectors))


def _base_views(lib) -> np.ndarray:
    """``(rows, views, dim)``: the index's views, or its own vectors as one view each."""
    from timbre.index.views import view_vectors

    views = view_vectors(lib)
    return lib.vectors[:, None, :] if views is None else views


def nearest_rows(lib, key: tuple[str, str | None], space: np.ndarray, queries: np.ndarray, k: int, method: str,
                 ef_search: int) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, row ids)``, each ``(len(queries), k)``: the rows whose best view is nearest to
    each query, by that view's cosine; missing hits have id -1."""
    rows, views, dim = space.shape
    if views == 1:
        return _nearest(lib, key, space.reshape(rows, dim), queries, k, method, ef_search)
    # the k-th distinct row appears at the latest at position k * views of the view ranking
    scores, ids = _nearest(lib, key, space.reshape(rows * views, dim), queries, k * views, method, ef_search)
    return best_view_per_row(scores, ids, views, k)


def best_view_per_row(scores: np.ndarray, ids: np.ndarray, views: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Collapse a ranking of view ids (``row * views + view``, best first) to its first ``k``
    distinct rows, each scored by its best view; pads with -inf / -1."""
    out_scores = np.full((len(ids), k), -np.inf, np.float32)
    out_ids = np.full((len(ids), k), -1, np.int64)
    for i, (row_scores, row_ids) in enumerate(zip(scores, ids)):
        valid = row_ids >= 0
        parents = row_ids[valid] // views
        _, first = np.unique(parents, return_index=True)
        first = np.sort(first)[:k]
        out_scores[i, : len(first)] = row_scores[valid][first]
        out_ids[i, : len(first)] = parents[first]
    return out_scores, out_ids


def best_view_scores(space: np.ndarray, rows: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """``(len(rows), len(queries))``: each row's best-view cosine with each query."""
    return np.einsum("rvd,qd->rvq", space[rows], queries).max(axis=1)


def _nearest(lib, key: tuple[str, str | None], library: np.ndarray, queries: np.ndarray, k: int, method: str,
             ef_search: int):
    if method == "hnsw":
        graph = ranking.load_or_build_hnsw(lib, key[0], library, key[1])
        return ranking.hnsw_search(graph, queries, k, ef_search)
    return ranking.flat_search(library, queries, k)


def _check_head(lib, head) -> None:
    expected = lib.embedder_spec["fingerprint"]
    if head.embedder_fingerprint != expected:
        raise HeadError(
            f"head {head.id} was trained on embedder fingerprint {head.embedder_fingerprint} but index "
            f"{lib.path} has {expected}; use a head trained on this index's embedder")


def project_checked(head, vectors: np.ndarray) -> np.ndarray:
    """``vectors`` through ``head``; ``HeadError`` when finite inputs come out NaN or inf."""
    vectors = np.asarray(vectors, np.float32)
    projected = np.ascontiguousarray(head.project(vectors), dtype=np.float32)
    broken = ~np.isfinite(projected).all(axis=1) & np.isfinite(vectors).all(axis=1)
    if broken.any():
        raise HeadError(f"head {head.id} turns {int(broken.sum())} vector(s) into NaN or inf, so it cannot rank; "
                        f"remove it with `timbre heads rm {head.id}` and train again")
    return projected
