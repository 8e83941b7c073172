"""Margin contrastive loss (Hadsell et al. 2006) on the unit sphere."""

from __future__ import annotations

import torch
from torch import nn

from timbre.heads.losses.base import PairBatch, TripletBatch, sphere_distance, triplets_as_pairs, weighted_mean


class ContrastiveLoss(nn.Module):
    """Similar pairs are pulled together (d^2); dissimilar ones pushed beyond ``margin``."""

    def __init__(self, margin: float = 0.5, **_: object):
        super().__init__()
        self.margin = float(margin)

    def pair_terms(self, pairs: PairBatch) -> torch.Tensor:
        d = sphere_distance(pairs.a, pairs.b)
        return pairs.target * d.pow(2) + (1 - pairs.target) * torch.relu(self.margin - d).pow(2)

    def forward(self, pairs: PairBatch | None, triplets: TripletBatch | None = None) -> torch.Tensor:
        merged = triplets_as_pairs(pairs, triplets)
        if merged is None:
            raise ValueError("contrastive loss needs pairs or triplets")
        return weighted_mean(self.pair_terms(merged), merged.weight)
