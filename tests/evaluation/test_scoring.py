"""Scoring fake search results against a fake manifest, checked by hand.

Library: pad/pad-a {p1, p2}, pad/pad-b {p3}, bass/bass-a {b1, b2}. Targets and rankings:

    t1 (p1, no fx, chord):   p2 p1 p3 b1 b2  -> exact at 2, grades 2 3 1 0 0
    t2 (b1, fx, melody):     b1 b2 p1 p2 p3  -> exact at 1, grades 3 2 0 0 0
    t3 (p3, fx, arp):        b1 p1 p2 b2 p3  -> exact at 5, grades 0 1 1 0 3
"""

import math

import pytest

from timbre.evaluation.runner import score_results
from timbre.evaluation.scoring import breakdowns, recall_curve, score_ranking, summarize

L3, L6 = math.log2(3), math.log2(6)
NDCG_T1 = (3 + 7 / L3 + 1 / 2) / (7 + 3 / L3 + 1 / 2)
NDCG_T3 = (1 / L3 + 1 / 2 + 7 / L6) / (7 + 1 / L3 + 1 / 2)


@pytest.fixture
def scores(fake_bench, make_results):
    return score_results(fake_bench, make_results(fake_bench))


def test_each_target_gets_its_exact_rank_ndcg_and_family_precision(scores):
    assert [s.exact_rank for s in scores] == [2, 1, 5]
    assert [s.ndcg for s in scores] == pytest.approx([NDCG_T1, 1.0, NDCG_T3])
    # five presets in the library, so the top "10" holds five
    assert [s.family_precision for s in scores] == pytest.approx([3 / 5, 2 / 5, 3 / 5])


def test_summary_means_the_per_target_metrics(scores):
    summary = summarize(scores)
    assert summary["targets"] == 3
    assert summary["recall@1"] == pytest.approx(1 / 3)
    assert summary["recall@5"] == pytest.approx(1.0)
    assert summary["recall@10"] == pytest.approx(1.0)
    assert summary["mrr"] == pytest.approx((1 / 2 + 1 + 1 / 5) / 3)
    assert summary["ndcg@10"] == pytest.approx((NDCG_T1 + 1 + NDCG_T3) / 3)
    assert summary["family_precision@10"] == pytest.approx((3 / 5 + 2 / 5 + 3 / 5) / 3)


def test_breakdowns_split_by_fx_kind_and_family(scores):
    split = breakdowns(scores)
    assert {label: group["targets"] for label, group in split["fx"].items()} == {"fx": 2, "no fx": 1}
    assert {label: group["targets"] for label, group in split["kind"].items()} == {"chords": 1, "single notes": 2}
    assert {label: group["targets"] for label, group in split["family"].items()} == {"bass": 1, "pad": 2}
    assert split["fx"]["no fx"]["mrr"] == pytest.approx(0.5)
    assert split["fx"]["fx"]["mrr"] == pytest.approx((1 + 1 / 5) / 2)
    assert split["kind"]["chords"]["recall@1"] == 0.0
    assert split["family"]["pad"]["ndcg@10"] == pytest.approx((NDCG_T1 + NDCG_T3) / 2)


def test_recall_curve_reaches_one_at_the_lowest_exact_rank(scores):
    curve = recall_curve(scores)
    assert len(curve) == 20
    assert curve[:5] == pytest.approx([1 / 3, 2 / 3, 2 / 3, 2 / 3, 1.0])
    assert curve[-1] == 1.0


def test_files_outside_the_manifest_are_irrelevant_and_a_missing_preset_is_a_miss(fake_bench, make_results):
    rankings = {"t1": ["stranger", "p2"], "t2": ["b2"], "t3": ["p3"]}
    t1, t2, t3 = score_results(fake_bench, make_results(fake_bench, rankings))
    assert t1.exact_rank is None and t2.exact_rank is None and t3.exact_rank == 1
    # t1: grades 0 2 vs ideal 3 2 1
    assert t1.ndcg == pytest.approx((3 / L3) / (7 + 3 / L3 + 1 / 2))
    assert t1.family_precision == pytest.approx(1 / 2)


def test_an_undecodable_target_scores_as_a_miss(fake_bench):
    empty = score_ranking(fake_bench, fake_bench.targets[0], [])
    assert (empty.exact_rank, empty.ndcg, empty.family_precision) == (None, 0.0, 0.0)


def test_results_must_match_the_targets(fake_bench, make_results):
    with pytest.raises(ValueError):
        score_results(fake_bench, make_results(fake_bench)[:2])
