"""``learned``: a log-mel CNN trained on the producer's own previews by ``timbre learn``.

``model`` is a folder from ``timbre learn`` (or its id in ``<models>/embedders``); without it, the
newest one. The folder's absolute path is what the index stores, so a later ``timbre learn``
never changes the vectors of an index built before it. Audio of any length is cut into the
1.5-s windows the network trained on (half a window apart; silent ones left out) and their
vectors are averaged, so a one-shot and a 10-s loop are embedded the same way.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from timbre.devices import resolve_device
from timbre.embedders.base import Embedder, l2_normalize
from timbre.index.view_textures import TEXTURES

#: Windows per forward pass.
WINDOW_BATCH = 256


class LearnedEmbedder(Embedder):
    """The network of a ``timbre learn`` model folder, 22.05 kHz, 128-d."""

    name = "learned"
    batch_size = 32
    description = "a log-mel CNN learned from your previews by `timbre learn`, 22.05 kHz, 128-d"
    default_sample_rate = 22050
    default_dim = 128
    #: Cheap enough that its views play chords and arpeggios as ``spectral``'s do, which a
    #: ``spectral+learned`` index then keeps (a combined index plays what all its parts play).
    view_textures = TEXTURES

    def __init__(self, model: str | None = None, device: str = "cpu"):
        from timbre.embedders.hub import weights_hash
        from timbre.learned.features import SAMPLE_RATE
        from timbre.learned.store import WEIGHTS_FILE, load_network, resolve_learned
        from timbre.runtime import configure_torch, default_models_dir

        folder = resolve_learned(model, default_models_dir())
        super().__init__(model=folder)  # the device does not change the vectors
        configure_torch()
        self.device = resolve_device(device)
        network, self.config = load_network(folder)
        self.network = network.to(self.device)
        self.sample_rate = SAMPLE_RATE
        self.dim = int(self.config["network"]["dim"])
        self._weights_hash = weights_hash([os.path.join(folder, WEIGHTS_FILE)])

    def embed_audio(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        import torch

        from timbre.learned.features import log_mel, windows

        if len(batch) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        cut = [windows(log_mel(clip)) for clip in batch]
        stacked = np.concatenate(cut)
        with torch.no_grad():
            vectors = np.concatenate([
                self.network(torch.from_numpy(stacked[i:i + WINDOW_BATCH]).to(self.device)).float().cpu().numpy()
                for i in range(0, len(stacked), WINDOW_BATCH)])
        ends = np.cumsum([len(c) for c in cut])
        return l2_normalize(np.stack([part.mean(axis=0) for part in np.split(vectors, ends[:-1])]))

    def fingerprint_parts(self) -> dict[str, Any]:
        return {"weights": self._weights_hash, "network": self.config["network"],
                "features": self.config["features"], "pooling": "mean of half-overlapping windows, silent ones out"}
