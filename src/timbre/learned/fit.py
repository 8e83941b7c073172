"""Self-supervised training of the learned embedder's network (InfoNCE, both ways).

A batch holds clips of different presets; each clip must find, among the batch's anchors, the
note view of its own preview nearest the shift it was made around. Two clips of one preset in
a batch are not counted as each other's negatives.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from timbre.learned.clips import PreviewMaterial
from timbre.learned.features import CROP, fit_length


@dataclass(frozen=True)
class FitSettings:
    """What training does (stored in the model folder)."""

    epochs: int = 12
    batch: int = 128
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    temperature: float = 0.07
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def fit_network(net, material: list[PreviewMaterial], settings: FitSettings, progress, device: str = "cpu") -> list[float]:
    """Train ``net`` in place on ``material`` (at least two previews); returns each epoch's mean loss."""
    import torch

    from timbre.index.views import DEFAULT_SEMITONES

    rng = np.random.default_rng(settings.seed)
    owners = np.concatenate([np.full(len(m.shifts), i) for i, m in enumerate(material)])
    which = np.concatenate([np.arange(len(m.shifts)) for m in material])
    semitones = np.array(DEFAULT_SEMITONES, np.float32)
    slots = [np.abs(m.shifts[:, None] - semitones).argmin(axis=1) for m in material]
    batch = min(settings.batch, len(owners))
    optimizer = torch.optim.AdamW(net.parameters(), settings.learning_rate, weight_decay=settings.weight_decay)
    steps = len(owners) // batch
    progress.start(settings.epochs * steps, "learning the embedder", unit="batch")
    losses = []
    net.to(device).train()
    for _ in range(settings.epochs):
        order, epoch = rng.permutation(len(owners)), []
        for start in range(0, steps * batch, batch):
            chosen = order[start:start + batch]
            clips = np.stack([fit_length(material[owners[i]].clips[which[i]], CROP, rng) for i in chosen])
            anchors = np.stack([material[owners[i]].views[slots[owners[i]][which[i]]] for i in chosen])
            loss = _info_nce(net, clips, anchors, owners[chosen], settings.temperature, device)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch.append(loss.item())
            progress.advance()
        losses.append(round(float(np.mean(epoch)), 4))
    progress.close()
    return losses


def _info_nce(net, clips: np.ndarray, anchors: np.ndarray, owners: np.ndarray, temperature: float, device: str):
    import torch
    from torch.nn import functional as F

    def vectors(frames: np.ndarray):
        return net(torch.from_numpy(np.asarray(frames, np.float32)).to(device))

    logits = vectors(clips) @ vectors(anchors).T / temperature
    same = torch.from_numpy(owners[:, None] == owners[None, :]).to(device)
    logits = logits.masked_fill(same & ~torch.eye(len(owners), dtype=torch.bool, device=device), -1e9)
    labels = torch.arange(len(owners), device=device)
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
