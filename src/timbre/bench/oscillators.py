"""Band-limited oscillators driven by a per-sample frequency curve (vibrato, glide, detune).

Saw and pulse use polyBLEP corrections at their discontinuities; the triangle is left naive
because its harmonics already fall at 12 dB/octave, so its aliasing is inaudible here.
"""

from __future__ import annotations

import numpy as np

WAVEFORMS = ("saw", "square", "pulse", "triangle", "sine")


def phase_from_frequency(freq_hz: np.ndarray, sr: int, start_phase: float = 0.0) -> np.ndarray:
    """Running phase in cycles (not wrapped) for a per-sample frequency curve."""
    return start_phase + np.cumsum(freq_hz / sr) - freq_hz[0] / sr


def oscillator(wave: str, phase: np.ndarray, increment: np.ndarray, pulse_width: float = 0.5) -> np.ndarray:
    """One waveform in -1..1 with zero mean from an unwrapped ``phase`` and its per-sample ``increment``."""
    frac = phase - np.floor(phase)
    if wave == "sine":
        return np.sin(2 * np.pi * frac)
    if wave == "triangle":
        return 4 * np.abs(frac - 0.5) - 1
    if wave == "saw":
        return 2 * frac - 1 - _poly_blep(frac, increment)
    if wave in ("square", "pulse"):
        width = 0.5 if wave == "square" else float(np.clip(pulse_width, 0.05, 0.95))
        shifted = frac - width
        shifted -= np.floor(shifted)
        naive = np.where(frac < width, 1.0, -1.0)
        return naive + _poly_blep(frac, increment) - _poly_blep(shifted, increment) - (2 * width - 1)
    raise ValueError(f"unknown waveform {wave!r}; use one of {', '.join(WAVEFORMS)}")


def _poly_blep(frac: np.ndarray, increment: np.ndarray) -> np.ndarray:
    """Residual that smooths a unit downward step at phase 0 over one sample either side."""
    dt = np.clip(increment, 1e-9, 0.5)
    out = np.zeros_like(frac)
    after = frac < dt
    u = frac[after] / dt[after]
    out[after] = 2 * u - u * u - 1
    before = frac > 1 - dt
    u = (frac[before] - 1) / dt[before]
    out[before] = u * u + 2 * u + 1
    return out


def unison_detunes(voices: int, spread_cents: float) -> np.ndarray:
    """Symmetric detune offsets in cents for ``voices`` stacked oscillators."""
    if voices <= 1:
        return np.zeros(1)
    return np.linspace(-spread_cents / 2, spread_cents / 2, voices)


def fm_operator(carrier_phase: np.ndarray, modulator_phase: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Two-operator phase modulation: a sine carrier modulated by a sine (index in radians)."""
    return np.sin(2 * np.pi * carrier_phase + index * np.sin(2 * np.pi * modulator_phase))
