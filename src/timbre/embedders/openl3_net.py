"""OpenL3's audio network (Cramer et al. 2019, music/mel256) in plain torch, with the parameter
names of the torchopenl3 port, so its released state dicts load with ``strict=True``.

Front end (``speclayer``, kapre 0.1.4 as used to train OpenL3): one 1-s window at 48 kHz is
zero-padded like Keras ``padding="same"`` (982 samples each side), cut into 199 frames by a
2048-point DFT written as two convolutions (``dft_real_kernels``/``dft_imag_kernels``: cos and
-sin rows times a periodic Hann window) with hop 242; the power spectrum goes through 256 HTK
mel filters (``mel_basis``, 0-24 kHz, area-normalised), its square root is taken (a magnitude
mel spectrogram) and turned into decibels as kapre did: ``10*log10(max(x, 1e-10))`` minus the
window's maximum, floored at -80 dB. These three tensors are buffers, so a torchopenl3 file's
own copies are the ones used; fresh networks compute them.

Audio subnetwork: batch norm, then four blocks of two 3x3 convolutions (64, 128, 256, 512
channels) each followed by batch norm (Keras ``eps=1e-3``) and ReLU, with 2x2 max pooling after
the first three blocks; the last convolution (``audio_embedding_layer``) has no norm or ReLU.
Its ``(512, 32, 24)`` map is max-pooled over the whole map (512-d) or in 8x8 tiles (4x3x512 =
6144-d), then flattened in Keras' channels-last order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

SAMPLE_RATE = 48000
WINDOW = SAMPLE_RATE  # one second
N_FFT = 2048
HOP = 242
N_MELS = 256
AMIN = 1e-10
DYNAMIC_RANGE_DB = 80.0
BN_EPS = 1e-3
#: Names of the eight convolutions, in order (torchopenl3 / the Keras layer names).
CONVS = tuple(f"conv2d_{i}" for i in range(1, 8)) + ("audio_embedding_layer",)
EMBEDDING_SIZES = (512, 6144)


@dataclass(frozen=True)
class OpenL3Config:
    """``embedding_size`` picks the final pooling as in OpenL3 (512: whole map, 6144: 8x8
    tiles); tests shrink ``widths``, which changes ``dim`` accordingly."""

    embedding_size: int = 512
    widths: tuple[int, int, int, int] = (64, 128, 256, 512)
    n_mels: int = N_MELS

    @property
    def frames(self) -> int:
        """Spectrogram frames per window with Keras "same" padding: ceil(48000 / 242) = 199."""
        return -(-WINDOW // HOP)

    @property
    def final_map(self) -> tuple[int, int]:
        """(mel, time) size after three 2x2 max pools: (32, 24) for mel256."""
        return self.n_mels // 8, self.frames // 8

    @property
    def pool(self) -> tuple[int, int]:
        return self.final_map if self.embedding_size == 512 else (8, 8)

    @property
    def dim(self) -> int:
        (mels, frames), (pool_m, pool_t) = self.final_map, self.pool
        return (mels // pool_m) * (frames // pool_t) * self.widths[-1]


def htk_mel_filters(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """``librosa.filters.mel(htk=True, fmin=0, fmax=sr/2)`` with area ("slaney") normalisation,
    kapre 0.1.4's ``norm=1``: ``(n_mels, n_fft // 2 + 1)``."""
    mel_max = 2595.0 * np.log10(1.0 + (sample_rate / 2) / 700.0)
    edges = 700.0 * (10.0 ** (np.linspace(0.0, mel_max, n_mels + 2) / 2595.0) - 1.0)
    fft_freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    spacing = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / spacing[:-1, None]
    upper = ramps[2:] / spacing[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def dft_kernels(n_fft: int) -> tuple[np.ndarray, np.ndarray]:
    """Real and imaginary DFT rows times a periodic Hann window: ``(n_fft // 2 + 1, 1, n_fft)``."""
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    phase = 2 * np.pi * np.outer(np.arange(n_fft // 2 + 1), np.arange(n_fft)) / n_fft
    real = (np.cos(phase) * window).astype(np.float32)[:, None, :]
    imag = (-np.sin(phase) * window).astype(np.float32)[:, None, :]
    return real, imag


class MelFrontEnd(nn.Module):
    """Waveform ``(b, 48000)`` -> kapre-style dB magnitude mel spectrogram ``(b, 1, mels, 199)``."""

    def __init__(self, n_mels: int = N_MELS):
        super().__init__()
        real, imag = dft_kernels(N_FFT)
        self.register_buffer("dft_real_kernels", torch.from_numpy(real))
        self.register_buffer("dft_imag_kernels", torch.from_numpy(imag))
        self.register_buffer("mel_basis", torch.from_numpy(htk_mel_filters(SAMPLE_RATE, N_FFT, n_mels)))
        remainder = WINDOW % HOP
        total = max(N_FFT - (HOP if remainder == 0 else remainder), 0)
        self.padding = (total // 2, total - total // 2)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        x = F.pad(waveform[:, None, :], self.padding)
        real = F.conv1d(x, self.dft_real_kernels, stride=HOP)
        imag = F.conv1d(x, self.dft_imag_kernels, stride=HOP)
        magnitude = torch.sqrt(torch.matmul(self.mel_basis, real * real + imag * imag))
        decibels = 10.0 * torch.log10(torch.clamp(magnitude, min=AMIN))
        decibels = decibels - decibels.amax(dim=(1, 2), keepdim=True)
        return torch.clamp(decibels, min=-DYNAMIC_RANGE_DB)[:, None]


class OpenL3Audio(nn.Module):
    """The OpenL3 audio embedding network; ``forward`` maps ``(b, 48000)`` to ``(b, config.dim)``."""

    def __init__(self, config: OpenL3Config = OpenL3Config()):
        super().__init__()
        if config.embedding_size not in EMBEDDING_SIZES:
            raise ValueError(f"embedding_size must be 512 or 6144, not {config.embedding_size}")
        self.config = config
        self.speclayer = MelFrontEnd(config.n_mels)
        self.batch_normalization_1 = nn.BatchNorm2d(1, eps=BN_EPS)
        w = config.widths
        channels = [(1, w[0]), (w[0], w[0]), (w[0], w[1]), (w[1], w[1]),
                    (w[1], w[2]), (w[2], w[2]), (w[2], w[3]), (w[3], w[3])]
        for index, (name, (cin, cout)) in enumerate(zip(CONVS, channels)):
            self.add_module(name, nn.Conv2d(cin, cout, kernel_size=3, padding=1))
            if index < 7:
                self.add_module(f"batch_normalization_{index + 2}", nn.BatchNorm2d(cout, eps=BN_EPS))

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        x = self.batch_normalization_1(self.speclayer(waveform))
        for index, name in enumerate(CONVS):
            x = getattr(self, name)(x)
            if index == 7:
                break
            x = F.relu(getattr(self, f"batch_normalization_{index + 2}")(x))
            if index in (1, 3, 5):
                x = F.max_pool2d(x, kernel_size=2, stride=2)
        x = F.max_pool2d(x, kernel_size=self.config.pool, stride=self.config.pool)
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # Keras flattens (mel, time, channel)
