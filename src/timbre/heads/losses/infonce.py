"""InfoNCE (NT-Xent) with in-batch negatives."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from timbre.heads.losses.base import PairBatch, TripletBatch


class InfoNCELoss(nn.Module):
    """Each anchor must pick its positive among all positives of the batch.

    Anchors/positives are the similar pairs and the triplets' (anchor, positive); a
    triplet's negative is one more candidate column. Dissimilar pairs are not used: the
    other presets of the batch already serve as negatives. Symmetric (a->b and b->a).

    With pitch views, :meth:`best_view` contrasts the way search ranks: each preset of the batch
    is scored by its best view."""

    def __init__(self, temperature: float = 0.05, **_: object):
        super().__init__()
        self.temperature = float(temperature)

    def forward(self, pairs: PairBatch | None, triplets: TripletBatch | None = None) -> torch.Tensor:
        groups, extra = [], None  # (anchors, positives, weights)
        if pairs is not None:
            pos = pairs.target > 0.5
            groups.append((pairs.a[pos], pairs.b[pos], pairs.weight[pos]))
        if triplets is not None and len(triplets.anchor):
            groups.append((triplets.anchor, triplets.positive, triplets.weight))
            extra = triplets.negative
        if not groups or sum(len(g[0]) for g in groups) < 2:
            return _zero_like(pairs, triplets)  # nothing to contrast in this batch
        a, p, w = (torch.cat(parts) for parts in zip(*groups))
        labels = torch.arange(len(a), device=a.device)
        candidates = p if extra is None else torch.cat([p, extra])
        forward = F.cross_entropy(a @ candidates.T / self.temperature, labels, reduction="none")
        backward = F.cross_entropy(p @ a.T / self.temperature, labels, reduction="none")
        return ((forward + backward) * 0.5 * w).sum() / w.sum().clamp(min=1e-9)

    def best_view(self, anchors: torch.Tensor, views: torch.Tensor, labels: torch.Tensor,
                  weight: torch.Tensor) -> torch.Tensor:
        """Each anchor must pick its preset (``labels``, indexes into ``views`` ``(presets, V, dim)``)
        among the batch's presets, each scored by its view most similar to the anchor. Search scores a
        preset by its best view, so a clip must beat every view of the other presets, not only the one
        nearest to their own clips."""
        if len(views) < 2:
            return anchors.sum() * 0.0  # one preset: nothing to contrast
        logits = torch.einsum("bd,pvd->bpv", anchors, views).amax(dim=-1) / self.temperature
        loss = F.cross_entropy(logits, labels, reduction="none")
        return (loss * weight).sum() / weight.sum().clamp(min=1e-9)


def _zero_like(pairs: PairBatch | None, triplets: TripletBatch | None) -> torch.Tensor:
    """A zero that keeps the graph (Lightning needs a differentiable loss)."""
    source = pairs.a if pairs is not None else triplets.anchor
    return source.sum() * 0.0
