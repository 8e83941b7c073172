"""Metric-learning losses over projected, L2-normalised vectors.

Every loss is called as ``loss(pairs: PairBatch | None, triplets: TripletBatch | None)``
and returns a scalar; ``get_loss(name, **params)`` builds one from the config.
The loss modules import torch; this file does not (the config validates names cheaply).
"""

from __future__ import annotations

from typing import Any

from timbre.errors import TimbreError

#: name -> "module:Class" (imported on demand).
LOSSES = {
    "contrastive": "timbre.heads.losses.contrastive:ContrastiveLoss",
    "online_contrastive": "timbre.heads.losses.online_contrastive:OnlineContrastiveLoss",
    "triplet": "timbre.heads.losses.triplet:TripletLoss",
    "infonce": "timbre.heads.losses.infonce:InfoNCELoss",
}


def get_loss(name: str, **params: Any):
    """The loss ``name`` built with ``params`` (keys a loss does not use are ignored)."""
    from importlib import import_module

    if name not in LOSSES:
        raise TimbreError(f"unknown loss '{name}'; choose one of {', '.join(LOSSES)}")
    module, cls = LOSSES[name].split(":")
    return getattr(import_module(module), cls)(**params)
