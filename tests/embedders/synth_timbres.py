"""Tiny additive synth for the embedder tests: distinct timbres, one-shots and melodies."""

from __future__ import annotations

import numpy as np

SR = 22050

#: name -> (harmonic amplitude law, attack s, decay s, sustain level, lowpass cutoff Hz)
TIMBRES = {
    "saw_bright": (lambda k: 1.0 / k, 0.003, 0.3, 0.7, 6000.0),
    "square_dark": (lambda k: (k % 2) / k, 0.003, 0.3, 0.7, 900.0),
    "triangle_pad": (lambda k: (k % 2) / k ** 2, 0.25, 1.0, 0.9, 3000.0),
    "pluck_pulse": (lambda k: np.abs(np.sin(np.pi * k * 0.15)) / k, 0.001, 0.08, 0.0, 4000.0),
    "organ": (lambda k: np.isin(k, [1, 2, 4, 8]) * 1.0, 0.01, 0.2, 1.0, 8000.0),
}


def note(timbre: str, midi: float, seconds: float) -> np.ndarray:
    """One note of ``timbre`` at ``midi`` lasting ``seconds`` (plus a short release)."""
    law, attack, decay, sustain, cutoff = TIMBRES[timbre]
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    t = np.arange(int((seconds + 0.1) * SR)) / SR
    k = np.arange(1, int(SR / 2 / f0) + 1)
    amps = law(k) / np.sqrt(1 + (k * f0 / cutoff) ** 4)
    wave = np.sin(2 * np.pi * f0 * t[:, None] * k[None, :]) @ amps
    level = np.where(t < attack, t / attack,
                     sustain + (1 - sustain) * np.exp(-(t - attack) / decay))
    level *= np.where(t > seconds, np.exp(-(t - seconds) / 0.03), 1.0)
    return (wave * level).astype(np.float32)


def one_shot(timbre: str) -> np.ndarray:
    """A 1.5 s note at C3 (MIDI 48), like a preset preview."""
    return note(timbre, 48, 1.5)


def melody(timbre: str, seed: int = 0) -> np.ndarray:
    """Eight notes spread over two octaves above C4, 0.15-0.4 s each."""
    rng = np.random.default_rng(seed)
    return np.concatenate([note(timbre, int(rng.integers(60, 84)), float(rng.uniform(0.15, 0.4)))
                           for _ in range(8)])
