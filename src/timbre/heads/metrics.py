"""Validation figures of a head, in numpy: pair accuracy, ROC AUC, retrieval MRR.

All take already projected, L2-normalised vectors, so the same code scores the base
space (identity) and a trained head."""

from __future__ import annotations

import numpy as np


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties averaged); NaN with one class only."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels) > 0.5
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    sorted_scores = scores[order]
    # average the ranks of tied scores
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for start, count in zip(first[counts > 1], counts[counts > 1]):
        ranks[order[start:start + count]] = start + (count + 1) / 2
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The cosine threshold that maximises accuracy on ``scores`` (0.5 without data)."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels) > 0.5
    if len(scores) == 0:
        return 0.5
    order = np.argsort(-scores)
    s, y = scores[order], labels[order]
    # predicting "similar" for the top i pairs: correct = positives above + negatives below
    correct = np.concatenate([[0], np.cumsum(y)]) + np.concatenate([[(~y).sum()], (~y).sum() - np.cumsum(~y)])
    i = int(np.argmax(correct))
    if i == 0:
        return float(s[0] + 1e-6)
    return float((s[i - 1] + s[i]) / 2) if i < len(s) else float(s[-1] - 1e-6)


def pair_accuracy(scores: np.ndarray, labels: np.ndarray, threshold: float) -> float:
    """Share of pairs where ``score >= threshold`` agrees with the label."""
    if len(scores) == 0:
        return float("nan")
    return float(np.mean((np.asarray(scores) >= threshold) == (np.asarray(labels) > 0.5)))


def pair_scores(table: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Cosine of each ``(row a, row b)`` pair of projected ``table`` rows."""
    if len(pairs) == 0:
        return np.zeros(0, dtype=np.float32)
    return np.einsum("ij,ij->i", table[pairs[:, 0]], table[pairs[:, 1]])


def retrieval_metrics(queries: np.ndarray, owners: np.ndarray, library: np.ndarray,
                      parts: list[tuple[int, int]] | None = None) -> dict[str, float]:
    """MRR, recall@1 and recall@10 of each query's owner row among all ``library`` rows; a 3-D
    ``library`` ``(rows, views, dim)`` scores each row by its best view, as search does (each of
    ``parts`` by its own: :func:`timbre.search.space.best_view_scores`)."""
    from timbre.search.space import best_view_scores

    if len(queries) == 0:
        return {"mrr": float("nan"), "recall_at_1": float("nan"), "recall_at_10": float("nan")}
    ranks = np.empty(len(queries), dtype=np.int64)
    space = library if library.ndim == 3 else library[:, None, :]
    chunk = max(1, min(1024, 2 ** 23 // max(1, len(library))))  # bounds the (queries, rows) block's memory
    for start in range(0, len(queries), chunk):
        sims = best_view_scores(space, None, np.asarray(queries[start:start + chunk], np.float32), parts).T
        own = sims[np.arange(len(sims)), owners[start:start + chunk]]
        ranks[start:start + chunk] = 1 + (sims > own[:, None]).sum(axis=1)
    return {"mrr": float(np.mean(1.0 / ranks)), "recall_at_1": float(np.mean(ranks <= 1)),
            "recall_at_10": float(np.mean(ranks <= 10))}
