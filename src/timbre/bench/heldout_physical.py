"""Held-out physical-model voices: a plucked string, struck bars and bells, and a reed pipe.

The two waveguides (string, reed) feed back only through delays of at least ``lag`` samples,
so each block of ``lag`` samples depends on earlier blocks alone and is computed in one numpy
step; the Python loop runs once per period, not once per sample.
"""

from __future__ import annotations

import numpy as np

from timbre.bench.heldout_patch import ModalPatch, ReedPatch, StringPatch
from timbre.bench.heldout_tones import note_envelope

C3_HZ = 130.81
REED_SLOPE = 0.3  # reed stiffness; the loop is scale-free in it (it only scales the pressure)


def plucked_string(patch: StringPatch, f0: float, gate_s: float, n: int, sr: int, velocity: float,
                   rng: np.random.Generator) -> np.ndarray:
    """One or two (slightly detuned) strings, plucked once, then a short body resonance."""
    out = np.zeros(n)
    for course in range(patch.courses):
        cents = patch.course_detune_cents * course
        out += _string(patch, f0 * 2 ** (cents / 1200), gate_s, n, sr, velocity, rng)
    if patch.body_level > 0:
        out += patch.body_level * _resonance(out, patch.body_hz, 0.02, sr)
    return out / patch.courses


def _string(patch: StringPatch, f0: float, gate_s: float, n: int, sr: int, velocity: float,
            rng: np.random.Generator) -> np.ndarray:
    period = sr / f0
    # The loop filter (two-point loss filter times a linear-interpolation fractional delay) adds
    # about stretch + frac samples of delay, so the integer lag makes up the rest of the period.
    lag = max(2, int(period - patch.stretch))
    frac = float(np.clip(period - patch.stretch - lag, 0.0, 1.0))
    taps = np.convolve([1 - patch.stretch, patch.stretch], [1 - frac, frac])
    t60 = patch.decay_s * (f0 / C3_HZ) ** -0.5  # higher strings ring shorter
    held_gain = 10 ** (-3 / (f0 * t60))
    muted_gain = 10 ** (-3 / (f0 * min(patch.release_s, t60)))
    pad = lag + 2
    y = np.zeros(pad + n)
    y[pad:pad + min(lag, n)] = _pluck(patch, lag, velocity, rng)[: min(lag, n)]
    gate = int(gate_s * sr)
    for start in range(0, n, lag):
        a, b = pad + start, pad + min(start + lag, n)
        gain = held_gain if start < gate else muted_gain
        y[a:b] += gain * _fed_back(y, taps, lag, a, b)
    return y[pad:]


def _fed_back(line: np.ndarray, taps: np.ndarray, lag: int, a: int, b: int) -> np.ndarray:
    """``sum_j taps[j] * line[n - lag - j]`` for n in ``a..b``: the loop's filtered, delayed return."""
    return sum(tap * line[a - lag - j:b - lag - j] for j, tap in enumerate(taps))


def _pluck(patch: StringPatch, lag: int, velocity: float, rng: np.random.Generator) -> np.ndarray:
    """Initial string shape: smoothed noise (a soft pick is wider) with the pick-position comb notch."""
    noise = rng.uniform(-1, 1, lag)
    width = max(1, int(round(patch.pluck_width * (2 - velocity))))
    shape = np.convolve(np.concatenate([noise, noise[:width]]), np.ones(width) / width)[width:width + lag]
    shape = shape - np.roll(shape, max(1, int(round(patch.pick_position * lag))))
    return shape - np.mean(shape)


def _resonance(x: np.ndarray, hz: float, decay_s: float, sr: int) -> np.ndarray:
    """A wooden body's main mode: ``x`` through a resonance at ``hz`` whose ring lasts about ``decay_s``."""
    bandwidth = 1 / (np.pi * decay_s)
    return _shaped(x, sr, lambda f: 1 / (1 + 1j * (f - hz) / bandwidth))  # its phase turn keeps the ring causal


def _shaped(x: np.ndarray, sr: int, response) -> np.ndarray:
    """``x`` with its spectrum multiplied by ``response(frequency in Hz)`` (zero-padded against wrap-around)."""
    n_fft = 1 << (2 * len(x) - 1).bit_length()
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    return np.fft.irfft(np.fft.rfft(x, n_fft) * response(freqs), n_fft)[: len(x)]


def struck_modes(patch: ModalPatch, f0: float, gate_s: float, n: int, sr: int, velocity: float,
                 rng: np.random.Generator) -> np.ndarray:
    """Decaying sine modes (pairs beating at ``beat_hz`` for bells) plus a short mallet click."""
    t = np.arange(n) / sr
    held_t = np.minimum(t, gate_s)
    after_t = np.maximum(t - gate_s, 0.0)
    ratios = np.asarray(patch.ratios)
    # Softer strikes excite the upper modes less; higher notes ring shorter.
    gains = np.asarray(patch.gains) * ratios ** (-patch.brightness * (2 - velocity))
    t60s = patch.decay_s * ratios ** -patch.decay_tilt * (f0 / C3_HZ) ** -0.3
    out = np.zeros(n)
    for ratio, gain, t60 in zip(ratios, gains, t60s):
        hz = f0 * ratio
        if hz + patch.beat_hz >= 0.45 * sr:
            continue
        m = min(n, int(1.5 * t60 * sr) + 1)  # -90 dB by then
        env = 10 ** (-3 * (held_t[:m] / t60 + after_t[:m] / min(t60, patch.release_s)))
        tone = np.sin(2 * np.pi * (hz * t[:m] + rng.uniform()))
        if patch.beat_hz:
            tone = 0.6 * tone + 0.4 * np.sin(2 * np.pi * ((hz + patch.beat_hz) * t[:m] + rng.uniform()))
        out[:m] += gain * env * tone
    return out + _click(patch.hardness * velocity, n, sr, rng)


def _click(level: float, n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Mallet contact noise: a few milliseconds, brighter for a harder mallet."""
    out = np.zeros(n)
    m = min(n, int(0.006 * sr))
    width = max(1, int(round(8 * (1 - level))))
    burst = np.convolve(rng.standard_normal(m), np.ones(width) / width, mode="same")
    out[:m] = 0.6 * level * burst * np.exp(-np.arange(m) / (0.0015 * sr))
    return out


def reed_pipe(patch: ReedPatch, f0: float, gate_s: float, n: int, sr: int, velocity: float,
              rng: np.random.Generator) -> np.ndarray:
    """Clarinet-style loop: bore delay, inverting lossy reflection, reed table; breath with noise and wobble."""
    # The inverting reflection makes the period two trips through the bore; the reflection
    # filter and fractional delay add about ``bore_tone + frac`` samples to a trip.
    trip = sr / f0 / 2 - patch.bore_tone
    lag = max(2, int(trip))
    frac = float(np.clip(trip - lag, 0.0, 1.0))
    taps = -patch.loss * np.convolve([1 - patch.bore_tone, patch.bore_tone], [1 - frac, frac])
    # Small-signal loop gain is loss * (offset + 2 * REED_SLOPE * pressure) with the reed at
    # offset + REED_SLOPE * pressure = opening; pick the pressure that gives a gain of 1 + blow.
    pressure = ((1 + patch.blow) / patch.loss - patch.opening) / REED_SLOPE
    offset = patch.opening - REED_SLOPE * pressure
    t = np.arange(n) / sr
    wobble = 1 + patch.wobble * np.sin(2 * np.pi * (patch.wobble_hz * t + rng.uniform())) * np.minimum(t / 0.4, 1)
    # Harder notes start faster; the pressure itself stays put, so soft notes still speak.
    envelope = note_envelope(n, sr, gate_s, patch.attack_s * (1.5 - 0.5 * velocity), 1.0, 1.0, patch.release_s)
    breath = pressure * envelope * (1 + patch.noise * rng.standard_normal(n)) * wobble
    pad = lag + 2
    s = np.zeros(pad + n)
    for start in range(0, n, lag):
        a, b = pad + start, pad + min(start + lag, n)
        bore = _fed_back(s, taps, lag, a, b)
        push = breath[start:b - pad]
        difference = bore - push
        s[a:b] = push + difference * np.clip(offset - REED_SLOPE * difference, -1.0, 1.0)
    # Tone holes let the upper harmonics out of the bore: a gentle roll-off above ``tone_hz``.
    return _shaped((s[pad:] - breath) / pressure, sr, lambda f: 1 / np.sqrt(1 + (f / patch.tone_hz) ** 4))
