"""Scores of one system: per-target metrics from a ranked list, then means and breakdowns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from timbre.evaluation import metrics
from timbre.evaluation.ground_truth import EXACT, Benchmark, BenchPreset, BenchTarget, relevance

NDCG_K = 10
PRECISION_K = 10
RECALL_KS = (1, 5, 10)
CURVE_MAX_K = 20
METRIC_NAMES = ("recall@1", "recall@5", "recall@10", "mrr", "ndcg@10", "family_precision@10")


@dataclass(frozen=True)
class TargetScore:
    """How one ranked list did for one target."""

    target: BenchTarget
    exact_rank: int | None  # 1-based rank of the preset the target was rendered from
    ndcg: float  # nDCG@10, graded
    family_precision: float  # share of the top 10 from the target's family


def score_ranking(bench: Benchmark, target: BenchTarget, ranked: Sequence[BenchPreset | None]) -> TargetScore:
    """Score ``ranked`` (library presets, best first; None = a file not in the manifest)."""
    grades = [relevance(target, preset) for preset in ranked]
    exact_rank = next((i + 1 for i, grade in enumerate(grades) if grade == EXACT), None)
    same_family = [preset is not None and preset.family == target.family for preset in ranked]
    return TargetScore(
        target=target,
        exact_rank=exact_rank,
        ndcg=metrics.ndcg_at_k(grades, bench.ideal_relevances(target, NDCG_K), NDCG_K),
        family_precision=metrics.precision_at_k(same_family, PRECISION_K),
    )


def summarize(scores: Sequence[TargetScore]) -> dict[str, float | int]:
    """Mean of each metric over ``scores``, plus ``targets`` (how many)."""
    ranks = [s.exact_rank for s in scores]
    summary: dict[str, float | int] = {"targets": len(scores)}
    for k in RECALL_KS:
        summary[f"recall@{k}"] = metrics.mean(metrics.recall_at_k(rank, k) for rank in ranks)
    summary["mrr"] = metrics.mean(metrics.reciprocal_rank(rank) for rank in ranks)
    summary["ndcg@10"] = metrics.mean(s.ndcg for s in scores)
    summary["family_precision@10"] = metrics.mean(s.family_precision for s in scores)
    return summary


#: Breakdown name -> the group label of a target.
BREAKDOWNS: dict[str, Callable[[BenchTarget], str]] = {
    "fx": lambda target: "fx" if target.has_fx else "no fx",
    "kind": lambda target: target.note_kind,
    "family": lambda target: target.family,
}


def breakdowns(scores: Sequence[TargetScore]) -> dict[str, dict[str, dict[str, float | int]]]:
    """``{breakdown: {group label: summary}}`` for each of ``BREAKDOWNS``, labels sorted."""
    result: dict[str, dict[str, dict[str, float | int]]] = {}
    for name, label_of in BREAKDOWNS.items():
        groups: dict[str, list[TargetScore]] = {}
        for score in scores:
            groups.setdefault(label_of(score.target), []).append(score)
        result[name] = {label: summarize(groups[label]) for label in sorted(groups)}
    return result


def recall_curve(scores: Sequence[TargetScore]) -> list[float]:
    """Mean recall@k for k = 1..20."""
    return metrics.recall_curve([s.exact_rank for s in scores], CURVE_MAX_K)
