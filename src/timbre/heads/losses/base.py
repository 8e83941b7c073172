"""What every loss receives: projected, L2-normalised pairs and triplets of one batch."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class PairBatch:
    """``a[i]`` and ``b[i]`` are similar when ``target[i] == 1``; ``weight`` scales each pair."""

    a: torch.Tensor
    b: torch.Tensor
    target: torch.Tensor
    weight: torch.Tensor


@dataclass
class TripletBatch:
    """``positive[i]`` should be closer to ``anchor[i]`` than ``negative[i]``."""

    anchor: torch.Tensor
    positive: torch.Tensor
    negative: torch.Tensor
    weight: torch.Tensor


def sphere_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Euclidean distance between unit vectors, in [0, 2]; smooth at 0."""
    return torch.sqrt(torch.clamp(2.0 - 2.0 * (a * b).sum(-1), min=1e-9))


def weighted_mean(values: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` weighted by ``weight`` (0 for an empty batch)."""
    if values.numel() == 0:
        return values.sum()
    return (values * weight).sum() / weight.sum().clamp(min=1e-9)


def triplets_as_pairs(pairs: PairBatch | None, triplets: TripletBatch | None) -> PairBatch | None:
    """All pairs plus each triplet as (anchor, positive, 1) and (anchor, negative, 0)."""
    parts = [pairs] if pairs is not None else []
    if triplets is not None and len(triplets.anchor):
        ones = torch.ones_like(triplets.weight)
        parts.append(PairBatch(triplets.anchor, triplets.positive, ones, triplets.weight))
        parts.append(PairBatch(triplets.anchor, triplets.negative, ones * 0, triplets.weight))
    if not parts:
        return None
    return PairBatch(*(torch.cat([getattr(p, f) for p in parts]) for f in ("a", "b", "target", "weight")))
