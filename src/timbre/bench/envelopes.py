"""Envelope and LFO curves, computed for a whole note at once."""

from __future__ import annotations

import numpy as np

# Decay and release stages fall by e**-5 (-43 dB) over their nominal time.
_STAGE_TIME_CONSTANTS = 5.0


def adsr(n_samples: int, sr: int, gate_s: float, attack_s: float, decay_s: float, sustain: float,
         release_s: float) -> np.ndarray:
    """Linear attack, exponential decay to ``sustain``, exponential release after ``gate_s``."""
    t = np.arange(n_samples) / sr
    held = _gate_level(t, attack_s, decay_s, sustain)
    level_at_release = float(_gate_level(np.array([gate_s]), attack_s, decay_s, sustain)[0])
    after = t >= gate_s
    tau = max(release_s, 1e-3) / _STAGE_TIME_CONSTANTS
    released = level_at_release * np.exp(-(t[after] - gate_s) / tau)
    held[after] = released
    return held


def _gate_level(t: np.ndarray, attack_s: float, decay_s: float, sustain: float) -> np.ndarray:
    attack_s = max(attack_s, 1e-3)
    tau = max(decay_s, 1e-3) / _STAGE_TIME_CONSTANTS
    decaying = sustain + (1 - sustain) * np.exp(-np.maximum(t - attack_s, 0) / tau)
    return np.where(t < attack_s, t / attack_s, decaying)


def decay_curve(n_samples: int, sr: int, decay_s: float) -> np.ndarray:
    """1 falling to e**-5 over ``decay_s`` (pitch and FM-index envelopes)."""
    t = np.arange(n_samples) / sr
    return np.exp(-t * _STAGE_TIME_CONSTANTS / max(decay_s, 1e-3))


def lfo(n_samples: int, sr: int, rate_hz: float, shape: str = "sine", phase: float = 0.0,
        delay_s: float = 0.0) -> np.ndarray:
    """-1..1 low-frequency oscillator; ``delay_s`` fades it in like a player's delayed vibrato."""
    t = np.arange(n_samples) / sr
    cycles = rate_hz * t + phase
    if shape == "triangle":
        wave = 4 * np.abs(cycles - np.floor(cycles) - 0.5) - 1
    else:
        wave = np.sin(2 * np.pi * cycles)
    if delay_s > 0:
        wave *= np.clip(t / delay_s, 0, 1)
    return wave


def fade_edges(x: np.ndarray, sr: int, fade_in_s: float = 0.002, fade_out_s: float = 0.03) -> np.ndarray:
    """Short raised-cosine fades so renders never start or stop with a click."""
    out = x.copy()
    n_in = min(len(x), max(1, int(fade_in_s * sr)))
    n_out = min(len(x), max(1, int(fade_out_s * sr)))
    out[:n_in] *= 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n_in))
    out[len(x) - n_out :] *= 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, n_out))
    return out
