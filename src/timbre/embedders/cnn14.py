"""PANN CNN14 (Kong et al. 2020) with the official parameter names, in plain torch.

The official ``Cnn14_mAP=0.431.pth`` stores ``{"model": state_dict}`` including its
torchlibrosa front end (``spectrogram_extractor.stft.conv_real.weight``,
``...conv_imag.weight``, ``logmel_extractor.melW``). This module re-implements that front end
with the same tensors (a DFT-as-convolution STFT with a periodic Hann window, reflect
padding, power spectrum, librosa/Slaney mel filters, ``10*log10`` with ``amin=1e-10``), so the
checkpoint loads with ``strict=True`` and its stored front-end tensors are the ones used;
neither torchlibrosa nor torchaudio is needed. Only inference is supported (no SpecAugment,
mixup or dropout).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class Cnn14Config:
    """The official AudioSet CNN14 settings; tests shrink ``widths``/``mel_bins``."""

    sample_rate: int = 32000
    window_size: int = 1024
    hop_size: int = 320
    mel_bins: int = 64
    fmin: float = 50.0
    fmax: float = 14000.0
    classes_num: int = 527
    widths: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048)

    @property
    def embedding_dim(self) -> int:
        return self.widths[-1]


def slaney_mel_filters(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """``librosa.filters.mel(htk=False, norm="slaney")``: ``(n_mels, n_fft // 2 + 1)``."""

    def hz_to_mel(hz):
        hz = np.asarray(hz, dtype=np.float64)
        linear = hz / (200.0 / 3)
        log = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(hz >= 1000.0, log, linear)

    def mel_to_hz(mel):
        mel = np.asarray(mel, dtype=np.float64)
        linear = mel * (200.0 / 3)
        log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
        return np.where(mel >= 15.0, log, linear)

    fft_freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    mel_freqs = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    spacing = np.diff(mel_freqs)
    ramps = mel_freqs[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / spacing[:-1, None]
    upper = ramps[2:] / spacing[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_freqs[2 : n_mels + 2] - mel_freqs[:n_mels]))[:, None]
    return weights.astype(np.float32)


class _Stft(nn.Module):
    """torchlibrosa's STFT: real/imaginary DFT rows times a periodic Hann window, as conv1d."""

    def __init__(self, n_fft: int, hop: int):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        bins = n_fft // 2 + 1
        window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
        phase = -2 * np.pi * np.outer(np.arange(bins), np.arange(n_fft)) / n_fft
        self.conv_real = nn.Conv1d(1, bins, n_fft, stride=hop, bias=False)
        self.conv_imag = nn.Conv1d(1, bins, n_fft, stride=hop, bias=False)
        self.conv_real.weight.data = torch.tensor(np.cos(phase) * window, dtype=torch.float32)[:, None, :]
        self.conv_imag.weight.data = torch.tensor(np.sin(phase) * window, dtype=torch.float32)[:, None, :]
        for conv in (self.conv_real, self.conv_imag):
            conv.weight.requires_grad_(False)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        padded = F.pad(waveform[:, None, :], (self.n_fft // 2, self.n_fft // 2), mode="reflect")
        power = self.conv_real(padded) ** 2 + self.conv_imag(padded) ** 2
        return power.transpose(1, 2)[:, None]  # (batch, 1, frames, bins)


class _Spectrogram(nn.Module):
    def __init__(self, n_fft: int, hop: int):
        super().__init__()
        self.stft = _Stft(n_fft, hop)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.stft(waveform)


class _LogMel(nn.Module):
    """Power spectrum -> mel (``melW``: ``(bins, mels)``) -> dB with ``amin=1e-10``, ``ref=1``."""

    def __init__(self, config: Cnn14Config):
        super().__init__()
        filters = slaney_mel_filters(config.sample_rate, config.window_size, config.mel_bins,
                                     config.fmin, config.fmax)
        self.melW = nn.Parameter(torch.tensor(filters.T), requires_grad=False)

    def forward(self, power: torch.Tensor) -> torch.Tensor:
        mel = torch.matmul(power, self.melW)
        return 10.0 * torch.log10(torch.clamp(mel, min=1e-10))


class ConvBlock(nn.Module):
    """Two 3x3 conv + batch-norm + ReLU layers, then average pooling."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor, pool_size: tuple[int, int]) -> torch.Tensor:
        x = F.relu_(self.bn1(self.conv1(x)))
        x = F.relu_(self.bn2(self.conv2(x)))
        return F.avg_pool2d(x, kernel_size=pool_size)


class Cnn14(nn.Module):
    """CNN14; ``forward`` returns ``{"embedding": (b, widths[-1]), "clipwise_output": (b, classes)}``."""

    def __init__(self, config: Cnn14Config = Cnn14Config()):
        super().__init__()
        self.config = config
        self.spectrogram_extractor = _Spectrogram(config.window_size, config.hop_size)
        self.logmel_extractor = _LogMel(config)
        self.bn0 = nn.BatchNorm2d(config.mel_bins)
        channels = (1,) + tuple(config.widths)
        for index in range(6):
            self.add_module(f"conv_block{index + 1}", ConvBlock(channels[index], channels[index + 1]))
        self.fc1 = nn.Linear(config.embedding_dim, config.embedding_dim, bias=True)
        self.fc_audioset = nn.Linear(config.embedding_dim, config.classes_num, bias=True)

    def forward(self, waveform: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.logmel_extractor(self.spectrogram_extractor(waveform))  # (b, 1, frames, mels)
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)
        for index in range(6):
            pool = (2, 2) if index < 5 else (1, 1)
            x = getattr(self, f"conv_block{index + 1}")(x, pool_size=pool)
        x = torch.mean(x, dim=3)
        x = torch.max(x, dim=2)[0] + torch.mean(x, dim=2)
        embedding = F.relu_(self.fc1(x))
        return {"embedding": embedding, "clipwise_output": torch.sigmoid(self.fc_audioset(embedding))}
