"""Base class of the neural embedders that embed fixed-length windows and average them, and the
check of a local weights file they share."""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from timbre.embedders.base import Embedder
from timbre.embedders.windows import WindowSpec, embed_windowed
from timbre.errors import ModelLoadError


class WindowedEmbedder(Embedder):
    """Cuts clips with ``self.windows`` (a :class:`WindowSpec`), embeds ``self.batch_windows``
    windows at a time on ``self.device`` and returns the normalised mean of each clip's window
    vectors. Subclasses implement ``_forward`` (a float32 waveform tensor ``(b, window)`` on the
    device -> ``(b, dim)`` tensor), or override ``_embed_windows`` for their own preprocessing."""

    windows: WindowSpec
    batch_windows: int
    device: str

    def embed_audio(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        if len(batch) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return embed_windowed(batch, self.windows, self._embed_windows, self.batch_windows)

    def _embed_windows(self, windows: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            waveform = torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32)).to(self.device)
            return self._forward(waveform).float().cpu().numpy()

    def _forward(self, waveform):
        raise NotImplementedError(f"{type(self).__name__} must implement _forward or _embed_windows")


def checkpoint_path(model: str | None, embedder: str, hint: str) -> str:
    """The path of ``embedder``'s local checkpoint, or a one-line error ending in ``hint``."""
    if not model:
        raise ModelLoadError(f"the {embedder} embedder needs its weights: {hint}")
    path = os.path.expanduser(model)
    if not os.path.isfile(path):
        raise ModelLoadError(f"{model}: checkpoint not found; {hint}")
    return path
