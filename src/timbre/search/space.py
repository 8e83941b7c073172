"""What a search compares against: the library's presets, each as one or more pitch views.

``library_space`` gives ``(rows, views, dim)``: the index's views (:mod:`timbre.index.views`)
or its plain vectors (one view), in the base space or through a head. ``nearest_rows`` ranks
presets by their best view, so a search returns presets, never views.

In a combined space (``spectral+learned``) each part picks its own best view (``part_columns``),
as chosen on the benchmark's two tuning seeds (nDCG@10 up in every row, MRR in 6 of 8, against one
view for the whole vector). On the reporting sources it raised nDCG@10 everywhere and lowered MRR a
little: a part free to match at its own pitch favours presets of the right kind over the very
preset (README, issue 12).
"""

from __future__ import annotations

import numpy as np

from timbre.errors import HeadError
from timbre.index.head_caches import HEAD_SPACES_IN_MEMORY, head_cache_key
from timbre.search import ranking

PART_CANDIDATES = 200  # hnsw over a combined space: rows of the one-view ranking rescored part by part
SCORE_BLOCK = 1 << 22  # similarities (rows x views x queries) computed at once: bounds the memory


def library_space(lib, head=None) -> tuple[tuple[str, str | None], np.ndarray]:
    """``(key, vectors (rows, views, dim))`` of ``lib`` in the base space or ``head``'s; ``key``,
    ``(name, state)``, names the space for caches (e.g. an HNSW graph): with views, their state is
    part of the cache state, so a cache made before more views were computed is replaced, not kept
    beside the new one. Kept in memory per ``lib``: the base space for its life, a head's for the
    ``HEAD_SPACES_IN_MEMORY`` heads used last (each is as large as the base space's views or twice it)."""
    from timbre.index.views import view_semitones, views_state

    views_key = f"views-{views_state(lib)}" if view_semitones(lib) else ""
    if head is None:
        name = "base-views" if views_key else "base"
    else:
        name = head_cache_key(head.id, "views" if views_key else "plain")
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

    return key, lib.memoized(("space", name, key[1]), compute, group="head-spaces", keep=HEAD_SPACES_IN_MEMORY)


def plain_space(lib, head=None) -> np.ndarray:
    """``(rows, dim)``: each preview's own vector (as recorded, no pitch views), in the base space
    or through ``head`` (checked against the index's embedder, cached in the index). For comparing
    previews with previews, which sit at the same pitch: the map, labeling questions."""
    if head is None:
        return lib.vectors
    _check_head(lib, head)
    return lib.cached_array(head_cache_key(head.id, "plain"), lambda: project_checked(head, lib.vectors))


def _base_views(lib) -> np.ndarray:
    """``(rows, views, dim)``: the index's views, or its own vectors as one view each."""
    from timbre.index.views import view_vectors

    views = view_vectors(lib)
    return lib.vectors[:, None, :] if views is None else views


def part_columns(lib, head=None) -> list[tuple[int, int]] | None:
    """Each part's ``(start, stop)`` columns in the space a search of ``lib`` ranks in (``head``'s
    when given), so each part of a combined space can score by its own best view; ``None`` for one
    embedder's space, or for a head trained on the whole combined vector (its output mixes them)."""
    if head is not None:
        return getattr(head, "output_columns", None)
    from timbre.embedders.combined import is_combined

    return lib.load_embedder().columns if is_combined(lib.embedder_spec["name"]) else None


def nearest_rows(lib, key: tuple[str, str | None], space: np.ndarray, queries: np.ndarray, k: int, method: str,
                 ef_search: int, parts: list[tuple[int, int]] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, row ids)``, each ``(len(queries), k)``: the rows whose best view is nearest to
    each query, by that view's cosine (with ``parts``, by :func:`best_view_scores`' sum over the
    parts); missing hits have id -1."""
    rows, views, dim = space.shape
    if views == 1:
        return _nearest(lib, key, space.reshape(rows, dim), queries, k, method, ef_search)
    if parts or method == "flat":
        return _nearest_by_best_view(lib, key, space, queries, k, method, ef_search, parts)
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


def best_view_scores(space: np.ndarray, rows: np.ndarray | None, queries: np.ndarray,
                     parts: list[tuple[int, int]] | None = None) -> np.ndarray:
    """``(len(rows), len(queries))``: each row's best-view cosine with each query (``rows`` None: every
    row of ``space``). With ``parts`` (:func:`part_columns`), the sum over the parts of each part's
    best-view share of the cosine: each part of a combined space may match a different view."""
    count = len(space) if rows is None else len(rows)
    out = np.empty((count, len(queries)), np.float32)
    step = max(1, SCORE_BLOCK // max(1, space.shape[1] * len(queries)))
    for start in range(0, count, step):
        block = space[start:start + step] if rows is None else space[rows[start:start + step]]
        flat = block.reshape(-1, block.shape[2])
        columns = parts or [(0, block.shape[2])]
        out[start:start + step] = sum((flat[:, a:b] @ queries[:, a:b].T).reshape(len(block), block.shape[1], -1)
                                      .max(axis=1) for a, b in columns)
    return out


def rescore_rows(space: np.ndarray, queries: np.ndarray, candidates: np.ndarray, k: int,
                 parts: list[tuple[int, int]] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, row ids)``, each ``(len(queries), k)``: each query's ``candidates`` (row ids, -1 for
    none) reordered by :func:`best_view_scores` (ties keep the candidates' order); pads with -inf / -1."""
    scores = np.stack([best_view_scores(space, np.maximum(row, 0), queries[i:i + 1], parts)[:, 0]
                       for i, row in enumerate(candidates)]) if len(candidates) else np.empty((0, 0), np.float32)
    return _top_rows(scores, candidates, k)


def _nearest_by_best_view(lib, key, space: np.ndarray, queries: np.ndarray, k: int, method: str, ef_search: int,
                          parts: list[tuple[int, int]] | None) -> tuple[np.ndarray, np.ndarray]:
    """``nearest_rows`` by :func:`best_view_scores`: exact over every row ("flat"; a blocked matmul,
    about 10x faster at 30,000 presets than faiss's flat search over every view, which must be asked
    for ``k * views`` hits), or, with ``parts``, the first ``PART_CANDIDATES`` rows of the one-view
    ranking rescored ("hnsw")."""
    if method == "flat":
        scores = best_view_scores(space, None, queries, parts).T
        return _top_rows(scores, np.broadcast_to(np.arange(len(space)), scores.shape), k)
    _, candidates = nearest_rows(lib, key, space, queries, max(k, PART_CANDIDATES), method, ef_search)
    return rescore_rows(space, queries, candidates, k, parts)


def _top_rows(scores: np.ndarray, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best of each query's ``candidates`` (-1: none) by ``scores``, ties in candidate order."""
    out_scores = np.full((len(candidates), k), -np.inf, np.float32)
    out_ids = np.full((len(candidates), k), -1, np.int64)
    for i, (row_scores, row_ids) in enumerate(zip(scores, candidates)):
        order = np.argsort(-np.where(row_ids >= 0, row_scores, -np.inf), kind="stable")[:k]
        order = order[row_ids[order] >= 0]
        out_scores[i, : len(order)], out_ids[i, : len(order)] = row_scores[order], row_ids[order]
    return out_scores, out_ids


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
