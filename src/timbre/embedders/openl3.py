"""``openl3``: OpenL3 music/mel256 audio embeddings (512- or 6144-d, 48 kHz) in PyTorch.

``model`` is the path of a weights file in the torchopenl3 layout (a state dict saved with
``torch.save``; loaded with ``weights_only=True``). The released ones are
``torchopenl3_mel256_music_512.pth.tar`` and ``torchopenl3_mel256_music_6144.pth.tar`` from
https://github.com/torchopenl3/torchopenl3-models (both hold the same network; the name only
picks the pooling). The original Keras weights are ``openl3_audio_mel256_music.h5`` (shipped by
the ``openl3`` package, downloaded as ``openl3_audio_mel256_music-v0_4_0.h5.gz`` from
https://github.com/marl/openl3/tree/models); converting them is torchopenl3's job (its
``tests/layerbylayer.py`` maps the Keras layers onto these names) and is not done here, so
TensorFlow is never needed. ``env`` weights load too (same layout) but are not what OpenL3
recommends for music. The network is :mod:`timbre.embedders.openl3_net`.

``embedding_size`` is 512 or 6144; left out, it is read from the file name (``..._6144...``)
and is otherwise 512. Audio is cut into 1-s windows (OpenL3's input) at a fixed hop
(``hop_s``, default 0.5 s; OpenL3's own default is 0.1 s, five times the work for nearly the
same mean), short clips repeat-padded like every neural embedder here (OpenL3 itself centres
and zero-pads), and the window vectors are L2-normalised and averaged.
"""

from __future__ import annotations

import os
import re
from typing import Any

from timbre.devices import resolve_device
from timbre.embedders.hub import read_torch_checkpoint, weights_hash
from timbre.embedders.windowed import WindowedEmbedder, checkpoint_path
from timbre.embedders.windows import WindowSpec
from timbre.errors import ModelLoadError

DEFAULT_HOP_SECONDS = 0.5
WEIGHTS_HINT = (
    "pass --model /path/to/torchopenl3_mel256_music_512.pth.tar (or ..._6144.pth.tar) from "
    "https://github.com/torchopenl3/torchopenl3-models"
)
#: Front-end buffers and their mel256 shapes: used from the file when present, computed otherwise.
FRONT_END_SHAPES = {
    "speclayer.dft_real_kernels": (1025, 1, 2048),
    "speclayer.dft_imag_kernels": (1025, 1, 2048),
    "speclayer.mel_basis": (256, 1025),
}


class OpenL3Embedder(WindowedEmbedder):
    """OpenL3 music/mel256 at 48 kHz, 1-s windows; ``dim`` = 512 or 6144."""

    name = "openl3"
    batch_size = 8
    description = "OpenL3 music/mel256 (PyTorch), 48 kHz, 512/6144-d; needs torchopenl3 weights"
    default_sample_rate = 48000
    default_dim = 512

    def __init__(self, model: str | None = None, embedding_size: int | None = None,
                 hop_s: float = DEFAULT_HOP_SECONDS, device: str = "cpu", batch_windows: int = 16):
        path = checkpoint_path(model, "openl3", WEIGHTS_HINT)
        size = resolve_embedding_size(path, embedding_size)
        if not 0 < float(hop_s) <= 1.0:
            raise ModelLoadError(f"openl3 hop_s={hop_s} must be > 0 and at most 1 second (the window)")
        super().__init__(model=model, embedding_size=size, hop_s=float(hop_s))
        self.path = path
        self.device = resolve_device(device)
        self.batch_windows = max(1, int(batch_windows))
        self.network = load_openl3(path, size).to(self.device)
        self.sample_rate = self.default_sample_rate
        self.dim = self.network.config.dim
        self.windows = WindowSpec(self.sample_rate, 1.0, float(hop_s))
        self._weights_hash = weights_hash([path])

    def _forward(self, waveform):
        return self.network(waveform)

    def fingerprint_parts(self) -> dict[str, Any]:
        return {
            "model": os.path.basename(self.path),
            "weights": self._weights_hash,
            "input_repr": "mel256",
            "embedding_size": self.network.config.embedding_size,
            **self.windows.describe(),
        }


def resolve_embedding_size(path: str, embedding_size: int | None) -> int:
    """The requested size, else the one in a torchopenl3 file name, else 512."""
    if embedding_size is None:
        found = re.search(r"_(512|6144)(?:\D|$)", os.path.basename(path))
        return int(found.group(1)) if found else 512
    if int(embedding_size) not in (512, 6144):
        raise ModelLoadError(f"openl3 embedding_size={embedding_size} is not available; use 512 or 6144")
    return int(embedding_size)


def load_openl3(path: str, embedding_size: int):
    """An OpenL3 network in eval mode with the file's weights; widths are read from the tensors."""
    from timbre.embedders.openl3_net import OpenL3Audio
    from timbre.runtime import configure_torch

    configure_torch()
    state = read_torch_checkpoint(path, WEIGHTS_HINT)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or "audio_embedding_layer.weight" not in state:
        raise ModelLoadError(f"{path}: no OpenL3 audio weights (no audio_embedding_layer); {WEIGHTS_HINT}")
    network = OpenL3Audio(config_from_state_dict(path, state, embedding_size))
    try:
        result = network.load_state_dict(state, strict=False)
    except RuntimeError as err:  # shape mismatches
        detail = " ".join(str(err).split())[:200]
        raise ModelLoadError(f"{path}: weights do not fit OpenL3's audio network ({detail})") from None
    missing = [k for k in result.missing_keys if k not in FRONT_END_SHAPES]
    if missing or result.unexpected_keys:
        detail = f"missing {missing[:2]}" if missing else f"unexpected {result.unexpected_keys[:2]}"
        raise ModelLoadError(f"{path}: weights do not fit OpenL3's audio network ({detail}); {WEIGHTS_HINT}")
    return network.eval()


def config_from_state_dict(path: str, state: dict[str, Any], embedding_size: int):
    """Widths from the convolutions; stored front-end tensors must be mel256's."""
    from timbre.embedders.openl3_net import OpenL3Config

    try:
        widths = tuple(int(state[f"conv2d_{i}.weight"].shape[0]) for i in (1, 3, 5, 7))
        in_channels = int(state["conv2d_1.weight"].shape[1])
    except (KeyError, AttributeError, IndexError):
        raise ModelLoadError(f"{path}: OpenL3 convolution weights are missing; {WEIGHTS_HINT}") from None
    stored = {key: tuple(state[key].shape) for key in FRONT_END_SHAPES if key in state}
    wrong = {key: shape for key, shape in stored.items() if shape != FRONT_END_SHAPES[key]}
    if in_channels != 1 or wrong:
        found = ", ".join(f"{key.split('.')[-1]} {shape}" for key, shape in wrong.items()) or "input channels"
        raise ModelLoadError(
            f"{path}: not a mel256 OpenL3 model ({found}); only music/mel256 is supported: {WEIGHTS_HINT}"
        )
    return OpenL3Config(embedding_size=embedding_size, widths=widths)
