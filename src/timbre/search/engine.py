"""``search_audio`` / ``search_text``: embed targets with the index's embedder, rank the library.

Many targets share one model load and one faiss index. With a projection head the library
and queries are compared in the head's space (the projected library is cached per index
state); with ``rerank=K`` the base space picks K candidates and the head reorders them.
With ``thorough=True`` the target's notes (:mod:`timbre.search.notes`) rescore the top candidates.

Bad targets: when some of several targets cannot be decoded, the others are still answered
and the bad ones come back with ``SearchResult.error`` set; when every target fails, the
first ``AudioError`` is raised (so a single bad target is an exception) unless
``raise_if_all_fail=False`` (the CLI, which reports every failed target).

Scores are always finite: a head that turns finite vectors into NaN or inf is a ``HeadError``,
and library rows whose score is not a number are left out of the hits.
"""

from __future__ import annotations

import numpy as np

from timbre.errors import AudioError, TimbreError
from timbre.progress import ensure_progress
from timbre.search import ranking
from timbre.search.results import Hit, SearchResult
from timbre.search.space import (best_view_scores, library_space, nearest_rows, part_columns, project_checked,
                                 rescore_rows)

THOROUGH_CANDIDATES = 200  # rows of the whole-target ranking that --thorough reorders
WHOLE_WEIGHT = 0.5  # --thorough: weight of the whole-target cosine (0.3 lowered seed-2 MRR; README) ...
NOTE_WEIGHT = 0.5  # ... and of the mean cosine of the target's notes with the preset


def search_audio(index, targets: list[str], *, top: int = 10, method: str = "flat", head=None,
                 rerank: int | None = None, progress=None, ef_search: int = ranking.HNSW_EF_SEARCH,
                 raise_if_all_fail: bool = True, keep: np.ndarray | None = None,
                 thorough: bool = False) -> list[SearchResult]:
    """Rank the library against each audio file in ``targets`` (one result per target, in order).

    ``index`` is a path or an open ``LibraryIndex``; ``method`` is "flat" (exact) or "hnsw";
    ``keep`` (one bool per row) limits the hits to those rows (e.g. a tag filter). ``thorough``
    also compares the target's notes with the presets (:func:`rank_rows_thorough`): slower, for
    loops of many notes."""
    lib = _as_library(index)
    model = lib.load_embedder()
    progress = ensure_progress(progress)
    queries, failures, notes = embed_files(model, targets, progress, with_notes=thorough)
    if failures and len(failures) == len(targets) and raise_if_all_fail:
        raise next(iter(failures.values()))
    ok = [t for t in targets if t not in failures]
    ranked = iter(ranked_hits(lib, queries, top, method=method, head=head, rerank=rerank, ef_search=ef_search,
                               keep=keep, notes=notes) if ok else [])
    return [SearchResult(t, error=str(failures[t])) if t in failures else SearchResult(t, next(ranked))
            for t in targets]


def search_text(index, texts: list[str], *, top: int = 10, method: str = "flat", head=None,
                rerank: int | None = None, ef_search: int = ranking.HNSW_EF_SEARCH,
                keep: np.ndarray | None = None) -> list[SearchResult]:
    """Rank the library against text queries; needs an embedder with a text tower (e.g. clap).
    Japanese queries are translated first (:mod:`timbre.translation`)."""
    lib = _as_library(index)
    model = lib.load_embedder()
    if not model.supports_text:
        raise TimbreError(
            f"index {lib.path} uses embedder '{model.name}', which has no text tower; "
            "text search needs an index built with e.g. --embedder clap")
    from timbre.translation import translate_query

    translations = [translate_query(text) for text in texts]  # Japanese → English, for English-only towers
    usable = [t.english for t in translations if t.english]
    queries = np.asarray(model.embed_text(usable), dtype=np.float32) if usable else None
    ranked = iter(ranked_hits(lib, queries, top, method=method, head=head, rerank=rerank, ef_search=ef_search,
                               keep=keep) if usable else [])
    return [text_result(t, next(ranked) if t.english else []) for t in translations]


def text_result(translation, hits: list[Hit]) -> SearchResult:
    """The result of one text query: what was searched for, the words not understood, or why
    nothing was searched (no word of it understood)."""
    from timbre.translation import user_file

    if not translation.english:
        word = (translation.unknown or [translation.original])[0]
        return SearchResult(translation.original, error=(
            f"{translation.original}: no word understood — write it in English, or add it to {user_file()} "
            f'as [words] "{word}" = "..."'))
    return SearchResult(translation.original, hits,
                        searched_for=translation.english if translation.translated else None,
                        not_understood=list(translation.unknown))


def _as_library(index):
    if isinstance(index, str) or hasattr(index, "__fspath__"):
        from timbre.index import open_index

        return open_index(str(index))
    return index


def embed_files(model, targets: list[str], progress, with_notes: bool = False
                ) -> tuple[np.ndarray, dict[str, AudioError], list[np.ndarray] | None]:
    """Unit vectors of the decodable targets (in order), the errors of the others, and with
    ``with_notes`` the base-space vectors of each decodable target's note events (from the same
    decoding; else ``None``)."""
    from timbre.audio import load_audio
    from timbre.search.notes import embed_notes

    failures: dict[str, AudioError] = {}
    vectors: list[np.ndarray] = []
    notes: list[np.ndarray] | None = [] if with_notes else None
    batch: list[np.ndarray] = []
    progress.start(len(targets), "embedding targets", "file")
    for target in targets:
        try:
            batch.append(load_audio(target, model.sample_rate))
        except AudioError as err:
            failures[target] = err
        else:
            if notes is not None:
                notes.append(embed_notes(model, batch[-1]))
        if len(batch) >= model.batch_size:
            vectors.append(np.asarray(model.embed_audio(batch), np.float32))
            batch = []
        progress.advance(1)
    if batch:
        vectors.append(np.asarray(model.embed_audio(batch), np.float32))
    progress.close()
    dim = int(model.dim)
    return (np.concatenate(vectors) if vectors else np.zeros((0, dim), np.float32)), failures, notes


def ranked_hits(lib, queries: np.ndarray, top: int, *, method: str = "flat", head=None, rerank: int | None = None,
                ef_search: int = ranking.HNSW_EF_SEARCH, keep: np.ndarray | None = None,
                notes: list[np.ndarray] | None = None) -> list[list[Hit]]:
    """The ``top`` hits of each base-space query (see :func:`rank_rows`); ``keep`` (one bool per row)
    leaves out the other rows, ``notes`` reranks by the target's notes (:func:`rank_rows_thorough`)."""
    if len(lib) == 0 or top <= 0:
        return [[] for _ in range(len(queries))]
    # a filter can drop at most the rows it excludes from the nearest ones
    depth = top if keep is None else min(len(lib), top + int(np.count_nonzero(~keep)))
    if notes is None:
        scores, ids = rank_rows(lib, queries, depth, method=method, head=head, rerank=rerank, ef_search=ef_search)
    else:
        scores, ids = rank_rows_thorough(lib, queries, notes, depth, method=method, head=head, rerank=rerank,
                                         ef_search=ef_search)
    if keep is None:
        return [hits_from_rows(lib, row_scores, row_ids) for row_scores, row_ids in zip(scores, ids)]
    kept = [(ids_ >= 0) & keep[np.maximum(ids_, 0)] for ids_ in ids]
    return [hits_from_rows(lib, s[k][:top], i[k][:top]) for s, i, k in zip(scores, ids, kept)]


def rank_rows(lib, queries: np.ndarray, top: int, *, method: str = "flat", head=None, rerank: int | None = None,
              ef_search: int = ranking.HNSW_EF_SEARCH) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, row ids)``, each ``(len(queries), top)``, of the library rows nearest to base-space
    ``queries``; with ``head`` compared in its space (or, with ``rerank=K``, K base candidates rescored).
    A preset with pitch views (:mod:`timbre.index.views`) scores by its best view (each part of a
    combined space by its own, :func:`timbre.search.space.part_columns`). Missing hits have id -1.
    The one ranking routine behind every search (CLI, app, eval)."""
    if method not in ("flat", "hnsw"):
        raise TimbreError(f"unknown search method '{method}'; use 'flat' (exact) or 'hnsw' (fast)")
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    if head is None:
        key, base = library_space(lib)
        return nearest_rows(lib, key, base, queries, top, method, ef_search, part_columns(lib))
    key, projected = library_space(lib, head)
    projected_queries = project_checked(head, queries)
    parts = part_columns(lib, head)
    if not rerank:
        return nearest_rows(lib, key, projected, projected_queries, top, method, ef_search, parts)
    base_key, base = library_space(lib)
    _, candidates = nearest_rows(lib, base_key, base, queries, max(rerank, top), method, ef_search,
                                 part_columns(lib))
    return rescore_rows(projected, projected_queries, candidates, top, parts)


def rank_rows_thorough(lib, queries: np.ndarray, notes: list[np.ndarray], top: int, *,
                       candidates: int = THOROUGH_CANDIDATES, method: str = "flat", head=None,
                       rerank: int | None = None, ef_search: int = ranking.HNSW_EF_SEARCH):
    """Like :func:`rank_rows`, with the first ``candidates`` rows of its ranking reordered by
    WHOLE_WEIGHT x the whole-target cosine + NOTE_WEIGHT x the mean, over the target's notes
    (``notes[i]``: base-space vectors of query i's note events), of each note's best-view cosine
    with the row, in the same space as the ranking (the head's, with ``head``). Rows past the
    candidates keep their order after them; a query without notes keeps its ranking."""
    scores, ids = rank_rows(lib, queries, max(top, candidates), method=method, head=head, rerank=rerank,
                            ef_search=ef_search)
    _, library = library_space(lib, head)
    parts = part_columns(lib, head)
    for i, note_vectors in enumerate(notes):
        if len(note_vectors) == 0:
            continue
        if head is not None:
            note_vectors = project_checked(head, note_vectors)
        rows = ids[i, :candidates]
        rows = rows[rows >= 0]
        note_scores = best_view_scores(library, rows, note_vectors, parts).mean(axis=1)
        mixed = WHOLE_WEIGHT * scores[i, : len(rows)] + NOTE_WEIGHT * note_scores
        order = np.argsort(-mixed, kind="stable")
        scores[i, : len(rows)], ids[i, : len(rows)] = mixed[order], rows[order]
    return scores[:, :top], ids[:, :top]


def hits_from_rows(lib, scores: np.ndarray, ids: np.ndarray) -> list[Hit]:
    """``Hit``s (ranked from 1) for one query's ``scores`` and row ``ids``; ids of -1 and rows whose
    score is not a finite number (a damaged vector) are skipped."""
    hits = []
    for score, row in zip(scores, ids):
        if row < 0 or not np.isfinite(score):
            continue
        record = lib.records[int(row)]
        hits.append(Hit(len(hits) + 1, float(score), record["path"], record["name"], record["bank"], int(row)))
    return hits
