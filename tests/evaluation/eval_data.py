"""Helpers shared by the evaluation tests: an untrained head in the registry, a tiny tone library."""

from __future__ import annotations

import hashlib
import os
import struct

import numpy as np

from timbre.embedders import load_embedder
from timbre.embedders.base import Embedder, l2_normalize

SR = 22050


def save_identity_head(models_dir: str, embedder: str, fingerprint: str | None = None,
                       settings: dict | None = None, head_id: str = "identity") -> str:
    """Save an untrained head (it reproduces the base ranking) through the heads registry;
    ``settings`` is the training config it claims (its seed and validation split)."""
    from timbre.heads.model import ResidualProjection
    from timbre.heads.registry import FORMAT_VERSION, commit_head, save_weights, staging_dir, write_json

    model = load_embedder(embedder)
    staging = staging_dir(models_dir, head_id)
    save_weights(staging, ResidualProjection(model.dim, hidden_dim=8))
    config = {"format_version": FORMAT_VERSION, "dims": {"input": model.dim, "hidden": 8, "output": model.dim},
              "embedder": {"name": embedder, "fingerprint": fingerprint or model.fingerprint(), "options": {}}}
    if settings is not None:
        config["settings"] = settings
    write_json(os.path.join(staging, "config.json"), config)
    commit_head(models_dir, staging, head_id)
    return models_dir


def write_tone(path: str, f0: float, harmonics: int, gain: float = 0.4, seconds: float = 0.8) -> str:
    """A decaying harmonic one-shot (float WAV, so a gain change survives the file exactly)."""
    t = np.arange(int(seconds * SR)) / SR
    wave = sum(np.sin(2 * np.pi * f0 * k * t) / k ** 1.5 for k in range(1, harmonics + 1)) * np.exp(-3 * t)
    return write_float_wav(path, gain * wave / np.max(np.abs(wave)), SR)


def write_float_wav(path: str, samples: np.ndarray, sr: int) -> str:
    """A mono 32-bit float WAV whose bytes depend on the samples alone. libsndfile stamps the
    time into a float WAV's PEAK chunk, which would change the file's content hash, and with it
    the seed of its augmented clips, from one test run to the next."""
    data = np.asarray(samples, "<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, sr, sr * 4, 4, 32)  # IEEE float, mono
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def make_tone_library(root: str, banks: int = 2, per_bank: int = 4) -> list[str]:
    """``banks * per_bank`` previews of varied pitch and brightness, one folder per bank."""
    return [write_tone(os.path.join(root, f"bank{b}", f"preset{i}.wav"), 110.0 * 1.3 ** i + 17 * b, 1 + 2 * i + b)
            for b in range(banks) for i in range(per_bank)]



class NoiseEmbedder(Embedder):
    """A useless space for comparisons: each clip maps to a random unit vector seeded by its samples,
    so a preview's augmented copies land nowhere near it."""

    name = "noise"
    parallel_safe = True

    def __init__(self, **options):
        super().__init__(**options)
        self.sample_rate, self.dim = SR, 16

    def embed_audio(self, batch):
        seeds = [int(hashlib.sha256(np.asarray(clip, np.float32).tobytes()).hexdigest()[:8], 16) for clip in batch]
        return l2_normalize(np.array([np.random.default_rng(s).standard_normal(16) for s in seeds]).reshape(-1, 16))

    def fingerprint_parts(self):
        return {"version": 1}
