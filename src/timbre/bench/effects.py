"""Audio effects for benchmark targets and training augmentation (pure numpy, mono float32).

A chain is a list of dicts, each with a ``"name"`` (reverb, delay, eq, saturation, compression,
gain) and that effect's parameters; ``apply_fx_chain`` runs them in order. Everything is
deterministic: the reverb's noise tail is seeded by its own ``seed`` parameter.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

FX_NAMES = ("reverb", "delay", "eq", "saturation", "compression", "gain")


def apply_fx_chain(signal: np.ndarray, sr: int, chain: list[dict]) -> np.ndarray:
    """Run ``signal`` (mono) through each effect of ``chain`` in order; returns float32.

    The output may be longer than the input (reverb and delay tails). A 2-D ``(samples,
    channels)`` input is mixed down to mono first. Unknown effect names raise ``ValueError``.
    """
    out = np.asarray(signal, dtype=np.float32)
    out = out.mean(axis=1) if out.ndim == 2 else out.reshape(-1)
    if out.size == 0:
        return out
    for fx in chain:
        name = fx.get("name")
        if name not in _EFFECTS:
            raise ValueError(f"unknown effect {name!r}; expected one of {', '.join(FX_NAMES)}")
        params = {key: value for key, value in fx.items() if key != "name"}
        out = _EFFECTS[name](out, sr, **params).astype(np.float32)
    return out


def random_fx_chain(rng: np.random.Generator, max_effects: int = 3) -> list[dict]:
    """1..``max_effects`` distinct effects with random, musically plausible parameters.

    Effects come in a fixed studio order (eq, saturation, compression, delay, reverb, gain)
    whichever subset is drawn.
    """
    count = int(rng.integers(1, max_effects + 1))
    chosen = set(rng.choice(list(FX_NAMES), size=count, replace=False).tolist())
    order = ("eq", "saturation", "compression", "delay", "reverb", "gain")
    return [_RANDOM_PARAMS[name](rng) for name in order if name in chosen]


def reverb(signal: np.ndarray, sr: int, decay_s: float = 1.5, mix: float = 0.3,
           predelay_ms: float = 10.0, damping: float = 0.5, seed: int = 0) -> np.ndarray:
    """Convolution with a synthetic exponentially decaying noise tail (high frequencies die
    faster with ``damping``); the tail is appended to the output."""
    rng = np.random.default_rng(seed)
    length = max(1, int(sr * decay_s))
    t = np.arange(length) / sr
    noise = rng.standard_normal(length)
    # A one-pole-like darkening that grows over time: blend noise with its running mean.
    smooth = np.convolve(noise, np.ones(8) / 8, mode="same")
    blend = np.clip(damping * t / max(decay_s, 1e-3), 0.0, 1.0)
    tail = ((1 - blend) * noise + blend * smooth) * np.exp(-6.9 * t / max(decay_s, 1e-3))
    predelay = int(sr * predelay_ms / 1000)
    impulse = np.concatenate([np.zeros(predelay), tail])
    impulse /= np.sqrt(np.sum(impulse ** 2)) + 1e-12
    wet = _fft_convolve(signal, impulse)
    dry = np.concatenate([signal, np.zeros(wet.size - signal.size)])
    return (1 - mix) * dry + mix * wet


def delay(signal: np.ndarray, sr: int, time_ms: float = 300.0, feedback: float = 0.4,
          mix: float = 0.3, repeats: int = 6) -> np.ndarray:
    """Feedback echo: ``repeats`` copies spaced ``time_ms`` apart, each ``feedback`` quieter and
    a little darker; the echo tail is appended."""
    step = max(1, int(sr * time_ms / 1000))
    out = np.concatenate([signal.astype(np.float64), np.zeros(step * repeats)])
    echo = signal.astype(np.float64)
    for index in range(1, repeats + 1):
        echo = np.convolve(echo, [0.25, 0.5, 0.25])[1:-1] * feedback  # "same" length even for 1 sample
        out[index * step:index * step + echo.size] += mix * echo
    return out


def eq(signal: np.ndarray, sr: int, low_db: float = 0.0, mid_db: float = 0.0,
       mid_hz: float = 1000.0, high_db: float = 0.0, low_hz: float = 200.0,
       high_hz: float = 4000.0) -> np.ndarray:
    """Zero-phase three-band EQ (low shelf, bell, high shelf) applied in the frequency domain."""
    n_fft = _next_pow2(signal.size)
    spectrum = np.fft.rfft(signal, n_fft)
    freqs = np.maximum(np.fft.rfftfreq(n_fft, 1.0 / sr), 1.0)
    octaves_low = np.log2(freqs / low_hz)
    octaves_high = np.log2(freqs / high_hz)
    octaves_mid = np.log2(freqs / mid_hz)
    gain_db = (low_db / (1 + np.exp(4 * octaves_low))
               + high_db / (1 + np.exp(-4 * octaves_high))
               + mid_db * np.exp(-0.5 * (octaves_mid / 0.5) ** 2))
    return np.fft.irfft(spectrum * 10 ** (gain_db / 20), n_fft)[:signal.size]


def saturation(signal: np.ndarray, sr: int, drive_db: float = 12.0, mix: float = 1.0,
               asymmetry: float = 0.0) -> np.ndarray:
    """tanh waveshaper with ``drive_db`` of input gain, level-compensated; ``asymmetry`` adds
    even harmonics."""
    drive = 10 ** (drive_db / 20)
    shaped = np.tanh(drive * signal + asymmetry) - np.tanh(asymmetry)
    peak_in = np.max(np.abs(signal)) + 1e-12
    shaped *= peak_in / (np.max(np.abs(shaped)) + 1e-12)
    return (1 - mix) * signal + mix * shaped


def compression(signal: np.ndarray, sr: int, threshold_db: float = -18.0, ratio: float = 4.0,
                attack_ms: float = 5.0, release_ms: float = 80.0,
                makeup_db: float = 0.0) -> np.ndarray:
    """Feed-forward RMS compressor: level per 64-sample hop, static curve, attack/release
    smoothing of the gain, interpolated back to samples."""
    hop = 64
    n_hops = -(-signal.size // hop)
    padded = np.zeros(n_hops * hop)
    padded[:signal.size] = signal
    level_db = 10 * np.log10(np.mean(padded.reshape(n_hops, hop) ** 2, axis=1) + 1e-12)
    target_db = -np.maximum(level_db - threshold_db, 0.0) * (1 - 1 / max(ratio, 1.0))
    gain_db = _attack_release(target_db, hop / sr, attack_ms / 1000, release_ms / 1000)
    centres = (np.arange(n_hops) + 0.5) * hop
    gain_curve = np.interp(np.arange(signal.size), centres, gain_db + makeup_db)
    return signal * 10 ** (gain_curve / 20)


def gain(signal: np.ndarray, sr: int, db: float = 0.0) -> np.ndarray:
    """Multiply by ``db`` decibels."""
    return signal * 10 ** (db / 20)


def _fft_convolve(signal: np.ndarray, impulse: np.ndarray) -> np.ndarray:
    size = signal.size + impulse.size - 1
    n_fft = _next_pow2(size)
    product = np.fft.rfft(signal, n_fft) * np.fft.rfft(impulse, n_fft)
    return np.fft.irfft(product, n_fft)[:size]


def _next_pow2(n: int) -> int:
    return 1 << max(1, int(np.ceil(np.log2(max(n, 2)))))


def _attack_release(target_db: np.ndarray, step_s: float, attack_s: float,
                    release_s: float) -> np.ndarray:
    """One-pole smoothing of a gain curve: fast towards more reduction, slow back (per hop)."""
    attack = float(np.exp(-step_s / max(attack_s, 1e-4)))
    release = float(np.exp(-step_s / max(release_s, 1e-4)))
    out = np.empty(target_db.size)
    state = 0.0
    for index, target in enumerate(target_db.tolist()):
        coeff = attack if target < state else release
        state = coeff * state + (1 - coeff) * target
        out[index] = state
    return out


def _random_reverb(rng: np.random.Generator) -> dict:
    return {"name": "reverb", "decay_s": float(rng.uniform(0.6, 3.5)), "mix": float(rng.uniform(0.15, 0.5)),
            "predelay_ms": float(rng.uniform(0, 40)), "damping": float(rng.uniform(0.2, 0.9)),
            "seed": int(rng.integers(0, 2**31))}


def _random_delay(rng: np.random.Generator) -> dict:
    return {"name": "delay", "time_ms": float(rng.uniform(120, 500)), "feedback": float(rng.uniform(0.2, 0.6)),
            "mix": float(rng.uniform(0.15, 0.45)), "repeats": int(rng.integers(3, 8))}


def _random_eq(rng: np.random.Generator) -> dict:
    return {"name": "eq", "low_db": float(rng.uniform(-9, 6)), "mid_db": float(rng.uniform(-8, 8)),
            "mid_hz": float(np.exp(rng.uniform(np.log(300), np.log(4000)))),
            "high_db": float(rng.uniform(-12, 6))}


def _random_saturation(rng: np.random.Generator) -> dict:
    return {"name": "saturation", "drive_db": float(rng.uniform(3, 20)), "mix": float(rng.uniform(0.4, 1.0)),
            "asymmetry": float(rng.uniform(0, 0.3))}


def _random_compression(rng: np.random.Generator) -> dict:
    return {"name": "compression", "threshold_db": float(rng.uniform(-30, -10)),
            "ratio": float(rng.uniform(2, 10)), "attack_ms": float(rng.uniform(1, 20)),
            "release_ms": float(rng.uniform(30, 250)),
            "makeup_db": float(rng.uniform(0, 6))}


def _random_gain(rng: np.random.Generator) -> dict:
    return {"name": "gain", "db": float(rng.uniform(-12, 3))}


_EFFECTS: dict[str, Callable[..., np.ndarray]] = {
    "reverb": reverb, "delay": delay, "eq": eq, "saturation": saturation,
    "compression": compression, "gain": gain,
}
_RANDOM_PARAMS: dict[str, Callable[[np.random.Generator], dict]] = {
    "reverb": _random_reverb, "delay": _random_delay, "eq": _random_eq,
    "saturation": _random_saturation, "compression": _random_compression, "gain": _random_gain,
}
