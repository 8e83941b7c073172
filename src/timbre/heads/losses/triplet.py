"""Triplet margin loss; similar pairs become triplets with an in-batch negative."""

from __future__ import annotations

import torch
from torch import nn

from timbre.heads.losses.base import PairBatch, TripletBatch, sphere_distance, weighted_mean


class TripletLoss(nn.Module):
    """``relu(d(anchor, positive) - d(anchor, negative) + margin)``.

    For each similar pair ``(a, b)`` the negative is the hardest other ``b`` of the batch
    (closest to ``a``), so pair files and self-supervised positives train it too."""

    def __init__(self, margin: float = 0.5, **_: object):
        super().__init__()
        self.margin = float(margin)

    def forward(self, pairs: PairBatch | None, triplets: TripletBatch | None = None) -> torch.Tensor:
        parts = [t for t in (triplets, self._mined(pairs)) if t is not None and len(t.anchor)]
        if not parts:  # nothing to rank in this batch; a zero that keeps the graph
            return (pairs.a if pairs is not None else triplets.anchor).sum() * 0.0
        anchor, positive, negative, weight = (torch.cat([getattr(t, f) for t in parts])
                                              for f in ("anchor", "positive", "negative", "weight"))
        terms = torch.relu(sphere_distance(anchor, positive) - sphere_distance(anchor, negative) + self.margin)
        return weighted_mean(terms, weight)

    @staticmethod
    def _mined(pairs: PairBatch | None) -> TripletBatch | None:
        if pairs is None:
            return None
        pos = pairs.target > 0.5
        if int(pos.sum()) < 2:
            return None
        a, b = pairs.a[pos], pairs.b[pos]
        sims = (a @ b.T).detach()
        sims.fill_diagonal_(-float("inf"))
        return TripletBatch(a, b, b[sims.argmax(dim=1)], pairs.weight[pos])
