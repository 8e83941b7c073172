"""The projection head: a residual MLP over frozen embedder vectors.

``y = normalize(P x + W2 gelu(W1 x))``. ``P`` starts as the identity and ``W2`` at zero, so
an untrained head returns its input (re-normalised) and reproduces the base ranking
exactly. When the output dimension differs from the input:

* smaller: ``P`` starts as the top principal directions of the library vectors (uncentred,
  i.e. the best rank-k approximation of the cosine Gram matrix), which preserves the base
  ranking as far as any k-dimensional projection can; without vectors, a truncated identity;
* larger: ``P`` is the identity padded with zero rows (exact).

A head keeps a share of the base space in its score (``[search] base_weight``, 0.2 by default):
the network learned what its training clips were like, the base space keeps what they miss. On the
benchmark's two tuning seeds the 0.8 / 0.2 mix raised MRR in every row; on the reporting sources it
was a wash (README, issue 12).

A head may hold several networks (``[model] members``, 3 by default), trained on the same examples from
different seeds; its output is the normalised sum of theirs, so one training run's noise averages out
while the head keeps one network's width (README, issue 12).

This module imports torch; import it lazily.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from timbre.embedders.base import l2_normalize
from timbre.heads.config import base_weight


class ResidualProjection(nn.Module):
    """The trainable network of a head (its ``state_dict`` is what gets saved)."""

    def __init__(self, input_dim: int, hidden_dim: int = 512, output_dim: int = 0, dropout: float = 0.1):
        super().__init__()
        self.input_dim, self.output_dim = int(input_dim), int(output_dim or input_dim)
        self.skip = nn.Linear(self.input_dim, self.output_dim, bias=False)
        self.mlp = nn.Sequential(
            nn.Linear(self.input_dim, hidden_dim), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden_dim, self.output_dim),
        )
        self.reset_to_identity()

    def reset_to_identity(self, vectors: np.ndarray | None = None) -> None:
        """Start as (close to) the identity map; see the module docstring."""
        with torch.no_grad():
            self.skip.weight.copy_(torch.from_numpy(initial_projection(self.input_dim, self.output_dim, vectors)))
            nn.init.zeros_(self.mlp[-1].weight)
            nn.init.zeros_(self.mlp[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.skip(x) + self.mlp(x), dim=-1)


def initial_projection(input_dim: int, output_dim: int, vectors: np.ndarray | None = None) -> np.ndarray:
    """``(output_dim, input_dim)`` float32: identity, padded identity, or top principal axes."""
    if output_dim >= input_dim or vectors is None or len(vectors) < output_dim:
        return np.eye(output_dim, input_dim, dtype=np.float32)
    x = np.asarray(vectors, dtype=np.float64)
    _, eigvecs = np.linalg.eigh(x.T @ x)  # ascending eigenvalues
    return np.ascontiguousarray(eigvecs[:, ::-1][:, :output_dim].T, dtype=np.float32)


def non_finite_tensors(state: dict[str, torch.Tensor]) -> list[str]:
    """Names of the tensors in a ``state_dict`` holding NaN or inf (a diverged or damaged head)."""
    return [name for name, tensor in state.items()
            if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())]


class ProjectionHead:
    """A trained (or fresh) head; follows the search ``Head`` protocol.

    ``nets`` is one ``ResidualProjection`` or a list of them (the head's members, one shape). ``id``
    names it in the registry, ``embedder_fingerprint`` is the embedder whose vectors it was trained
    on, ``config`` is its saved ``config.json``, ``device`` the resolved torch device it projects on
    (``timbre.devices.resolve_device``). The network part of an output is the members' unit outputs
    summed and re-normalised. With a base weight w (:func:`timbre.heads.config.base_weight`),
    ``project`` appends the scaled input to it, so search scores a preset by (1 - w) x the network
    part's cosine + w x the base space's, each share at its own best view (``output_columns``)."""

    def __init__(self, nets: ResidualProjection | list[ResidualProjection], head_id: str,
                 embedder_fingerprint: str, config: dict[str, Any] | None = None, device: str = "cpu"):
        self.device = device
        self.nets = [net.to(device).eval() for net in (nets if isinstance(nets, (list, tuple)) else [nets])]
        if not self.nets or len({(net.input_dim, net.output_dim) for net in self.nets}) != 1:
            raise ValueError("a head needs one or more networks of one shape")
        self.id = head_id
        self.embedder_fingerprint = embedder_fingerprint
        self.config = dict(config or {})
        self.base_weight = base_weight(self.config)

    @property
    def net(self) -> ResidualProjection:
        """The first (or only) member."""
        return self.nets[0]

    @property
    def input_dim(self) -> int:
        return self.net.input_dim

    @property
    def output_dim(self) -> int:
        return self.net.output_dim + (self.net.input_dim if self.base_weight else 0)

    @property
    def output_columns(self) -> list[tuple[int, int]] | None:
        """With a base weight, the network part's columns and the base vector's: search lets each pick
        its own best pitch view (:func:`timbre.search.space.part_columns`), as measured."""
        if not self.base_weight:
            return None
        return [(0, self.net.output_dim), (self.net.output_dim, self.output_dim)]

    def project(self, vectors: np.ndarray, batch_size: int = 65536) -> np.ndarray:
        """Map ``(n, input_dim)`` vectors to ``(n, output_dim)`` float32 unit vectors."""
        from timbre.errors import HeadError

        x = np.asarray(vectors, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise HeadError(f"head {self.id}: expects {self.input_dim}-d vectors, got shape {x.shape}; "
                            "use a head trained on this index's embedder")
        width = self.net.output_dim
        out = np.empty((len(x), self.output_dim), dtype=np.float32)  # both shares in one array: no copy
        with torch.no_grad():
            for net in self.nets:
                net.eval()
            for start in range(0, len(x), batch_size):  # members summed per batch: no library-sized temporaries
                batch = torch.from_numpy(x[start:start + batch_size]).to(self.device)
                part = self.nets[0](batch).float().cpu().numpy()
                for net in self.nets[1:]:
                    part += net(batch).float().cpu().numpy()
                out[start:start + batch_size, :width] = part if len(self.nets) == 1 else l2_normalize(part)
        if self.base_weight:
            # unit halves scaled so the cosine of two outputs is (1 - w) x the network part's + w x the base's
            # (float64 factors, cast in place: the figures were measured with exactly these roundings)
            np.multiply(out[:, :width], np.sqrt(1.0 - self.base_weight), out=out[:, :width], casting="unsafe")
            np.multiply(l2_normalize(x), np.sqrt(self.base_weight), out=out[:, width:], casting="unsafe")
        return out

    def __repr__(self) -> str:
        return f"ProjectionHead(id={self.id!r}, dims={self.input_dim}->{self.output_dim})"
