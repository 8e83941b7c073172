"""Synthetic vectors for head tests: a preference the base cosine barely expresses."""

from __future__ import annotations

import numpy as np

from timbre.heads.pairs import ResolvedPairs


def brightness_vectors(n: int = 240, dim: int = 24, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors where dimension 0 (tiny variance) encodes a bright/dark class.

    The other dimensions are large random noise, so the base cosine of two vectors says
    almost nothing about whether they share the class."""
    rng = np.random.default_rng(seed)
    bright = rng.random(n) < 0.5
    x = rng.normal(size=(n, dim))
    x[:, 0] = np.where(bright, 0.5, -0.5) + rng.normal(scale=0.05, size=n)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), bright


def oracle_pairs(bright: np.ndarray, count: int, seed: int = 1) -> ResolvedPairs:
    """``count`` random pairs labelled similar iff both presets share the brightness class."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(bright), size=(count, 2))
    rows = rows[rows[:, 0] != rows[:, 1]]
    return ResolvedPairs([(int(a), int(b), float(bright[a] == bright[b]), 1.0) for a, b in rows], [], [])


def trained_like_network(input_dim: int = 32, hidden_dim: int = 64, seed: int = 2):
    """A ``ResidualProjection`` moved away from the identity, as training does (eval mode, no dropout)."""
    import torch

    from timbre.heads.model import ResidualProjection

    torch.manual_seed(seed)
    net = ResidualProjection(input_dim, hidden_dim=hidden_dim, dropout=0.0)
    with torch.no_grad():
        net.mlp[-1].weight.normal_(0, 0.3)
    return net.eval()
