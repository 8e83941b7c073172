"""Online contrastive loss: the margin loss over the batch's hard pairs only.

A positive is hard when it is farther apart than the closest negative of the batch; a
negative is hard when it is closer than the farthest positive. Easy pairs add nothing,
which focuses training on the mistakes the ranking actually makes.
"""

from __future__ import annotations

import torch

from timbre.heads.losses.base import PairBatch, TripletBatch, sphere_distance, triplets_as_pairs, weighted_mean
from timbre.heads.losses.contrastive import ContrastiveLoss


class OnlineContrastiveLoss(ContrastiveLoss):
    """``ContrastiveLoss`` restricted to hard positives and hard negatives."""

    def forward(self, pairs: PairBatch | None, triplets: TripletBatch | None = None) -> torch.Tensor:
        merged = triplets_as_pairs(pairs, triplets)
        if merged is None:
            raise ValueError("online contrastive loss needs pairs or triplets")
        d = sphere_distance(merged.a, merged.b).detach()
        pos, neg = merged.target > 0.5, merged.target <= 0.5
        hard = torch.zeros_like(pos)
        if pos.any() and neg.any():
            hard = (pos & (d > d[neg].min())) | (neg & (d < d[pos].max()))
        if not hard.any():  # a batch of one class, or nothing hard: fall back to all pairs
            hard = torch.ones_like(pos)
        terms = self.pair_terms(merged)
        return weighted_mean(terms[hard], merged.weight[hard])
