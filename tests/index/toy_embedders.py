"""Tiny deterministic embedders and audio makers for index/search tests (no model weights)."""

from __future__ import annotations

import os
import time

import numpy as np
import soundfile as sf

from timbre.embedders.base import Embedder, l2_normalize

SAMPLE_RATE = 16000


class ToyEmbedder(Embedder):
    """Log band energies of the spectrum: pure numpy, so it runs in decode workers."""

    name = "toy"
    parallel_safe = True
    batch_size = 4

    def __init__(self, bands: int = 64, **options):
        super().__init__(bands=bands, **options)
        self.bands = bands
        self.sample_rate = SAMPLE_RATE
        self.dim = bands

    def embed_audio(self, batch):
        rows = []
        for clip in batch:
            spectrum = np.abs(np.fft.rfft(clip[: SAMPLE_RATE], n=4096))
            energies = np.array([band.sum() for band in np.array_split(spectrum, self.bands)])
            rows.append(np.log1p(energies) - np.log1p(energies).mean())
        return l2_normalize(np.array(rows))

    def fingerprint_parts(self):
        return {"bands": self.bands, "version": int(os.environ.get("TOY_EMBEDDER_VERSION", "1"))}


class SlowToyEmbedder(ToyEmbedder):
    """ToyEmbedder that takes ``delay`` seconds per clip, so a run lasts long enough to kill."""

    name = "slowtoy"

    def __init__(self, delay: float = 0.05, **options):
        super().__init__(**options)
        self.options["delay"] = delay
        self.delay = delay

    def embed_audio(self, batch):
        time.sleep(self.delay * len(batch))
        return super().embed_audio(batch)


class MainProcessToyEmbedder(ToyEmbedder):
    """Like a torch embedder: not parallel-safe, so the main process embeds in batches."""

    name = "maintoy"
    parallel_safe = False
    batch_size = 3
    calls = 0

    def embed_audio(self, batch):
        type(self).calls += 1
        return super().embed_audio(batch)


class TextToyEmbedder(ToyEmbedder):
    """Toy with a 'text tower': text maps onto the spectrum of a tone at len(text)*100 Hz."""

    name = "texttoy"
    supports_text = True

    def embed_text(self, texts):
        return self.embed_audio([tone(100.0 * len(t), seconds=1.0) for t in texts])


class TorchToyEmbedder(ToyEmbedder):
    """A tiny torch embedder (a fixed random linear layer over the toy's bands) that takes a
    ``device`` like clap and pann; ``placed_on`` records every device it was built with. It
    computes on the CPU whatever it is given, so tests can mock a GPU's availability."""

    name = "torchtoy"
    parallel_safe = False
    placed_on: list[str] = []

    def __init__(self, device: str = "cpu", **options):
        import torch

        super().__init__(**options)
        type(self).placed_on.append(device)
        self.device = device
        self.layer = torch.nn.Linear(self.bands, self.bands)
        with torch.no_grad():
            generator = torch.Generator().manual_seed(0)
            self.layer.weight.copy_(torch.randn(self.bands, self.bands, generator=generator) / self.bands ** 0.5)
            self.layer.bias.zero_()

    def embed_audio(self, batch):
        import torch

        with torch.inference_mode():
            out = self.layer(torch.from_numpy(super().embed_audio(batch)))
        return l2_normalize(out.float().numpy())


REGISTRY = {
    "torchtoy": "toy_embedders:TorchToyEmbedder",
    "toy": "toy_embedders:ToyEmbedder",
    "slowtoy": "toy_embedders:SlowToyEmbedder",
    "maintoy": "toy_embedders:MainProcessToyEmbedder",
    "texttoy": "toy_embedders:TextToyEmbedder",
}


def tone(freq: float, seconds: float = 0.5, sr: int = SAMPLE_RATE, harmonics: int = 4) -> np.ndarray:
    """A harmonic tone; different ``freq`` give clearly different toy vectors."""
    t = np.arange(int(seconds * sr)) / sr
    wave = sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, harmonics + 1))
    return (0.3 * wave / np.max(np.abs(wave))).astype(np.float32)


def write_tone(path, freq: float, seconds: float = 0.5, sr: int = SAMPLE_RATE, fmt: str | None = None) -> str:
    """Write a tone file (format from the ending) and return its path as str."""
    path = str(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sf.write(path, tone(freq, seconds, sr), sr, format=fmt)
    return path


def make_library(root, banks: int = 2, per_bank: int = 3, ext: str = "wav") -> list[str]:
    """``banks`` folders of ``per_bank`` distinct tones each; returns the file paths."""
    paths = []
    for b in range(banks):
        for i in range(per_bank):
            freq = 110.0 * (1.5 ** (b * per_bank + i))
            paths.append(write_tone(os.path.join(str(root), f"bank{b}", f"preset {b}-{i}.{ext}"), freq))
    return paths
