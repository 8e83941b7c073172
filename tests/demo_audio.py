"""Synthesized audio for the labeling tests: preset families as .ogg previews, loops as .wav targets."""

from __future__ import annotations

import os

import numpy as np
import soundfile as sf
from ogg_files import write_ogg

SR = 22050
FAMILIES = {"sine": lambda t, f: np.sin(2 * np.pi * f * t),
            "saw": lambda t, f: 2 * ((f * t) % 1.0) - 1,
            "square": lambda t, f: np.sign(np.sin(2 * np.pi * f * t))}


def tone(family: str, freq: float, seconds: float, rng) -> np.ndarray:
    """One decaying note of a family, with a little noise."""
    t = np.arange(int(SR * seconds)) / SR
    envelope = np.minimum(1.0, t / 0.01) * np.exp(-t * rng.uniform(0.5, 1.5))
    return (0.4 * FAMILIES[family](t, freq) * envelope + 0.003 * rng.normal(size=t.size)).astype(np.float32)


def synthesize_library(library: str, per_family: int = 4) -> str:
    """Three families (one bank folder each) of near-variations, as .ogg previews at C3."""
    rng = np.random.default_rng(0)
    for family in FAMILIES:
        os.makedirs(os.path.join(library, family), exist_ok=True)
        for k in range(per_family):
            name = f"{family} {k}.ogg"  # a space: URLs must be quoted
            write_ogg(os.path.join(library, family, name), tone(family, 130.81 * (1 + 0.01 * k), 1.2, rng), SR)
    return library


def write_loop(path: str, family: str = "saw", freq: float = 196.0, seed: int = 1) -> str:
    """A two-second target loop (.wav) of one family."""
    sf.write(path, tone(family, freq, 2.0, np.random.default_rng(seed)), SR)
    return path
