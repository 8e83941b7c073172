"""A tiny deterministic embedder and tone maker for head tests (no model weights)."""

from __future__ import annotations

import os

import numpy as np
import soundfile as sf

from timbre.embedders.base import Embedder, l2_normalize

SAMPLE_RATE = 8000


class HeadToyEmbedder(Embedder):
    """Log energies of 16 spectral bands of the first second: pure numpy, fast."""

    name = "headtoy"
    parallel_safe = True
    batch_size = 8

    def __init__(self, **options):
        super().__init__(**options)
        self.sample_rate = SAMPLE_RATE
        self.dim = 16

    def embed_audio(self, batch):
        rows = []
        for clip in batch:
            spectrum = np.abs(np.fft.rfft(clip[:SAMPLE_RATE], n=2048))
            energies = np.log1p([band.sum() for band in np.array_split(spectrum, self.dim)])
            rows.append(energies - energies.mean())
        return l2_normalize(np.array(rows))

    def fingerprint_parts(self):
        return {"bands": self.dim, "version": int(os.environ.get("HEADTOY_VERSION", "1"))}


def write_preset(path: str, freq: float, brightness: int, seconds: float = 0.6) -> str:
    """A harmonic one-shot; ``brightness`` = number of harmonics."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    wave = sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, brightness + 1))
    wave = 0.3 * wave / np.max(np.abs(wave)) * np.exp(-2 * t)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sf.write(path, wave.astype(np.float32), SAMPLE_RATE)
    return path


def make_presets(root: str, count: int = 12) -> list[str]:
    """``count`` presets in two banks with varied pitch and brightness."""
    return [write_preset(os.path.join(root, f"bank{i % 2}", f"preset{i:02d}.wav"), 110.0 * (1.2 ** (i % 5)),
                         1 + (i * 3) % 7) for i in range(count)]


def build_toy_index(root, count: int = 12) -> str:
    """``count`` presets under ``root/lib`` indexed with ``headtoy`` into ``root/idx``; returns the index path."""
    from timbre.index import build_index

    make_presets(os.path.join(str(root), "lib"), count)
    index = os.path.join(str(root), "idx")
    build_index([os.path.join(str(root), "lib")], index, "headtoy", workers=0)
    return index
