"""Retrieval metrics over one ranked list, plus their means over many targets.

Ranks are 1-based; ``None`` means the item was not retrieved at all (it counts as a miss
for recall and 0 for the reciprocal rank). Graded relevances are small non-negative
integers (see ``timbre.evaluation.ground_truth``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def recall_at_k(exact_rank: int | None, k: int) -> float:
    """1.0 if the one correct item is within the first ``k`` results, else 0.0."""
    return 1.0 if exact_rank is not None and exact_rank <= k else 0.0


def reciprocal_rank(exact_rank: int | None) -> float:
    """``1 / rank`` of the correct item, 0.0 if it was not retrieved."""
    return 0.0 if exact_rank is None else 1.0 / exact_rank


def gain(relevance: float) -> float:
    """Exponential gain ``2**rel - 1``: an exact match (3 -> 7) outweighs its neighbours (2 -> 3, 1 -> 1)."""
    return 2.0**relevance - 1.0


def dcg_at_k(relevances: Sequence[float], k: int) -> float:
    """Discounted cumulative gain of the first ``k`` relevances, in rank order."""
    return sum(gain(rel) / math.log2(position + 2) for position, rel in enumerate(relevances[:k]))


def ideal_dcg_at_k(library_relevances: Iterable[float], k: int) -> float:
    """DCG of the best possible ranking: the library's ``k`` highest relevances, descending."""
    best = sorted(library_relevances, reverse=True)[:k]
    return dcg_at_k(best, k)


def ndcg_at_k(relevances: Sequence[float], library_relevances: Iterable[float], k: int) -> float:
    """``DCG@k / ideal DCG@k``; 0.0 when nothing in the library is relevant.

    The ideal comes from the whole library's relevance distribution, not from the
    retrieved list, so a ranking that misses relevant items is penalised for it.
    """
    ideal = ideal_dcg_at_k(library_relevances, k)
    return dcg_at_k(relevances, k) / ideal if ideal > 0 else 0.0


def precision_at_k(is_relevant: Sequence[bool], k: int) -> float:
    """Fraction of the first ``k`` results that are relevant.

    The denominator is ``k``, or the list length when fewer than ``k`` results exist
    (a library smaller than ``k``).
    """
    window = list(is_relevant[:k])
    return sum(1 for hit in window if hit) / len(window) if window else 0.0


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean; 0.0 for no values (an empty breakdown group has no targets)."""
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def recall_curve(exact_ranks: Sequence[int | None], max_k: int = 20) -> list[float]:
    """Mean recall@k for k = 1..max_k over all targets."""
    return [mean(recall_at_k(rank, k) for rank in exact_ranks) for k in range(1, max_k + 1)]
