"""Retrieval metrics against values computed by hand."""

import math

import pytest

from timbre.evaluation import metrics

LOG2_3 = math.log2(3)
LOG2_5 = math.log2(5)


@pytest.mark.parametrize(("rank", "k", "expected"), [
    (1, 1, 1.0), (2, 1, 0.0), (5, 5, 1.0), (6, 5, 0.0), (10, 10, 1.0), (None, 10, 0.0),
])
def test_recall_at_k_counts_the_exact_item_within_k(rank, k, expected):
    assert metrics.recall_at_k(rank, k) == expected


def test_reciprocal_rank_and_its_mean():
    assert metrics.reciprocal_rank(1) == 1.0
    assert metrics.reciprocal_rank(4) == 0.25
    assert metrics.reciprocal_rank(None) == 0.0
    # ranks 1, 2, 4, missing -> (1 + 0.5 + 0.25 + 0) / 4
    ranks = [1, 2, 4, None]
    assert metrics.mean(metrics.reciprocal_rank(r) for r in ranks) == pytest.approx(1.75 / 4)


def test_recall_curve_is_the_mean_recall_for_each_k():
    curve = metrics.recall_curve([1, 3, None, 3], max_k=4)
    assert curve == [0.25, 0.25, 0.75, 0.75]


def test_dcg_uses_exponential_gain_and_log2_discount():
    # grades 2, 3, 0, 1 -> gains 3, 7, 0, 1 at discounts log2(2), log2(3), log2(4), log2(5)
    expected = 3 / 1 + 7 / LOG2_3 + 0 / 2 + 1 / LOG2_5
    assert metrics.dcg_at_k([2, 3, 0, 1], 10) == pytest.approx(expected)
    assert metrics.dcg_at_k([2, 3, 0, 1], 1) == pytest.approx(3.0)


def test_ndcg_takes_the_ideal_from_the_whole_library():
    library = [0, 1, 2, 0, 3, 2, 1, 0]  # unordered: the ideal sorts it to 3, 2, 2, 1, 1
    ideal = 7 / 1 + 3 / LOG2_3 + 3 / 2 + 1 / LOG2_5
    ranked = 3 + 7 / LOG2_3 + 0 + 1 / LOG2_5
    assert metrics.ndcg_at_k([2, 3, 0, 1], library, 4) == pytest.approx(ranked / ideal)
    assert metrics.ndcg_at_k([2, 3, 0, 1], library, 4) == pytest.approx(0.72502, abs=1e-5)


def test_ndcg_is_one_for_any_ideal_order_of_tied_grades():
    library = [3, 2, 2, 1, 1, 1, 0]
    # the tied 2s and 1s come from different presets; their order among themselves does not matter
    assert metrics.ndcg_at_k([3, 2, 2, 1, 1, 1], library, 10) == pytest.approx(1.0)
    assert metrics.ndcg_at_k([3, 2, 2, 1], library, 4) == pytest.approx(1.0)


def test_ndcg_penalises_relevant_items_that_were_not_retrieved():
    # a ranking of only the exact item, while two group-mates exist in the library
    library = [3, 2, 2, 0]
    ideal = 7 + 3 / LOG2_3 + 3 / 2
    assert metrics.ndcg_at_k([3, 0, 0], library, 10) == pytest.approx(7 / ideal)


def test_ndcg_swapping_exact_and_neighbour_lowers_the_score():
    library = [3, 2, 0]
    best = metrics.ndcg_at_k([3, 2, 0], library, 10)
    swapped = metrics.ndcg_at_k([2, 3, 0], library, 10)
    assert best == pytest.approx(1.0)
    assert swapped == pytest.approx((3 + 7 / LOG2_3) / (7 + 3 / LOG2_3))


def test_ndcg_is_zero_when_nothing_is_relevant():
    assert metrics.ndcg_at_k([0, 0], [0, 0, 0], 10) == 0.0


def test_precision_at_k_counts_relevant_results_in_the_first_k():
    hits = [True, False, True, True, False, False, False, False, False, True, True]
    assert metrics.precision_at_k(hits, 10) == pytest.approx(0.4)
    assert metrics.precision_at_k(hits, 1) == 1.0
    # a library smaller than k: the denominator is what exists
    assert metrics.precision_at_k([True, False, True], 10) == pytest.approx(2 / 3)
    assert metrics.precision_at_k([], 10) == 0.0
