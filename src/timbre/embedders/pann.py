"""``pann``: the 2048-d embedding of PANN CNN14 (AudioSet tagging), 32 kHz.

``model`` is the path of the official ``Cnn14_mAP=0.431.pth`` (``{"model": state_dict}``; a
bare state dict also works). The network is :mod:`timbre.embedders.cnn14` (plain torch, same
parameter names, strict loading). Audio is windowed like CLAP (10-s windows, 5-s hop, short
clips repeat-padded, mean-pooled) so previews and targets are treated the same way.
"""

from __future__ import annotations

import os
from typing import Any

from timbre.devices import resolve_device
from timbre.embedders.hub import read_torch_checkpoint, weights_hash
from timbre.embedders.windowed import WindowedEmbedder, checkpoint_path
from timbre.embedders.windows import WindowSpec
from timbre.errors import ModelLoadError

CHECKPOINT_HINT = (
    "pass --model /path/to/Cnn14_mAP=0.431.pth (the official PANN checkpoint, from "
    "https://zenodo.org/record/3987831)"
)


class PannEmbedder(WindowedEmbedder):
    """PANN CNN14 embedder at 32 kHz; ``dim`` = 2048 for the official checkpoint."""

    name = "pann"
    batch_size = 8
    description = "PANN CNN14 (AudioSet), 32 kHz, 2048-d; needs the Cnn14 .pth checkpoint"
    default_sample_rate = 32000
    default_dim = 2048

    def __init__(self, model: str | None = None, device: str = "cpu", batch_windows: int = 8):
        super().__init__(model=model)  # device and batch size do not change the vectors
        self.path = checkpoint_path(model, "pann", CHECKPOINT_HINT)
        self.device = resolve_device(device)
        self.batch_windows = max(1, int(batch_windows))
        self.network = load_cnn14(self.path).to(self.device)
        self.sample_rate = self.network.config.sample_rate
        self.dim = self.network.config.embedding_dim
        self.windows = WindowSpec(self.sample_rate)
        self._weights_hash = weights_hash([self.path])

    def _forward(self, waveform):
        return self.network(waveform)["embedding"]

    def fingerprint_parts(self) -> dict[str, Any]:
        return {
            "model": os.path.basename(self.path),
            "weights": self._weights_hash,
            "output": "embedding",
            **self.windows.describe(),
        }


def load_cnn14(path: str):
    """A CNN14 in eval mode with the checkpoint's weights; its shape is read from the tensors."""
    from timbre.embedders.cnn14 import Cnn14
    from timbre.runtime import configure_torch

    configure_torch()
    checkpoint = read_torch_checkpoint(path, CHECKPOINT_HINT)
    state = checkpoint.get("model", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or "fc1.weight" not in state:
        raise ModelLoadError(f"{path}: no CNN14 weights (expected a 'model' state dict); {CHECKPOINT_HINT}")
    try:
        network = Cnn14(config_from_state_dict(state))
    except KeyError as err:
        raise ModelLoadError(f"{path}: CNN14 weight {err} missing; {CHECKPOINT_HINT}") from None
    try:
        network.load_state_dict(state, strict=True)
    except RuntimeError as err:
        detail = " ".join(str(err).split())[:240]
        raise ModelLoadError(f"{path}: weights do not fit CNN14 ({detail})") from None
    return network.eval()


def config_from_state_dict(state: dict[str, Any]):
    """Widths, mel bins and class count from tensor shapes; audio settings stay official."""
    from timbre.embedders.cnn14 import Cnn14Config

    widths = tuple(int(state[f"conv_block{i}.conv1.weight"].shape[0]) for i in range(1, 7))
    return Cnn14Config(
        mel_bins=int(state["bn0.weight"].shape[0]),
        classes_num=int(state["fc_audioset.weight"].shape[0]),
        widths=widths,
    )
