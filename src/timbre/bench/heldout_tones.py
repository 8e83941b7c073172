"""Held-out oscillator voices: an operator FM voice and a morphing wavetable voice.

Written apart from the benchmark synth (no shared oscillators, filters or envelopes), so the
held-out source tests whether a ranking generalises beyond that synth's sound.
"""

from __future__ import annotations

import numpy as np

from timbre.bench.heldout_patch import FmPatch, WavetablePatch

TABLE_SIZE = 2048
MAX_HARMONICS = 256
# Per algorithm: which operators modulate each operator, and which operators are heard.
ALGORITHMS: dict[str, tuple[dict[int, tuple[int, ...]], tuple[int, ...]]] = {
    "pair": ({0: (1,)}, (0,)),
    "stack": ({0: (1,), 1: (2,), 2: (3,)}, (0,)),
    "twin": ({0: (1,), 2: (3,)}, (0, 2)),
    "fan": ({0: (1, 2, 3)}, (0,)),
    "branch": ({0: (1,), 1: (2, 3)}, (0,)),
}


def note_envelope(n: int, sr: int, gate_s: float, attack_s: float, decay_s: float, sustain: float,
                  release_s: float) -> np.ndarray:
    """Raised-cosine rise, then a fall towards ``sustain`` (T60 ``decay_s``), after the gate a T60 ``release_s``."""
    t = np.arange(n) / sr
    held = _held_level(t, attack_s, decay_s, sustain)
    after = t >= gate_s
    if np.any(after):
        at_gate = float(_held_level(np.array([gate_s]), attack_s, decay_s, sustain)[0])
        held[after] = at_gate * 10 ** (-3 * (t[after] - gate_s) / max(release_s, 1e-3))
    return held


def _held_level(t: np.ndarray, attack_s: float, decay_s: float, sustain: float) -> np.ndarray:
    rise_s = max(attack_s, 5e-4)
    rise = 0.5 - 0.5 * np.cos(np.pi * np.minimum(t / rise_s, 1.0))
    fall = sustain + (1 - sustain) * 10 ** (-3 * np.maximum(t - rise_s, 0) / max(decay_s, 1e-3))
    return rise * fall


def fm_voice(patch: FmPatch, f0: float, gate_s: float, n: int, sr: int, velocity: float,
             rng: np.random.Generator) -> np.ndarray:
    """Operators computed top-down so each modulator's output is ready for the operators it feeds."""
    modulators, carriers = ALGORITHMS[patch.algorithm]
    t = np.arange(n) / sr
    outputs: dict[int, np.ndarray] = {}
    for op in reversed(range(len(patch.ratios))):
        cents = patch.detune_cents if op % 2 else 0.0
        phase = 2 * np.pi * (f0 * patch.ratios[op] * 2 ** (cents / 1200) * t + rng.uniform())
        if op == len(patch.ratios) - 1 and patch.feedback:
            phase = phase + patch.feedback * np.sin(phase)  # one-step self-modulation: a sine bent saw-wards
        for source in modulators.get(op, ()):
            phase = phase + outputs.get(source, 0.0)
        # Softer notes modulate less, as on a velocity-sensitive FM keyboard.
        level = patch.levels[op] * (1.0 if op in carriers else 0.4 + 0.6 * velocity)
        env = note_envelope(n, sr, gate_s, patch.attack_s, patch.decays_s[op], patch.sustains[op], patch.release_s)
        outputs[op] = level * env * np.sin(phase)
    return sum(outputs[op] for op in carriers) / len(carriers)


def wavetables(patch: WavetablePatch, highest_hz: float, sr: int) -> np.ndarray:
    """``patch.tables`` single cycles (plus a wrap-around sample) without harmonics above ~0.45 sr."""
    rng = np.random.default_rng(patch.table_seed)
    k = np.arange(1, MAX_HARMONICS + 1)
    audible = k * highest_hz < 0.45 * sr
    tables = np.empty((patch.tables, TABLE_SIZE + 1))
    for index in range(patch.tables):
        # Drawn in full before the pitch-dependent cut, so a table's spectrum is the same at every note.
        jitter = np.exp(rng.normal(0, 0.6, MAX_HARMONICS))
        centre, width = rng.uniform(2, 40), rng.uniform(1.5, 8)
        phases = rng.uniform(0, 2 * np.pi, MAX_HARMONICS)
        odd = rng.uniform(0.3, 1.0)
        amps = k ** -(patch.tilt * (1.3 - 0.25 * index)) * jitter  # later tables brighter
        amps *= 1 + 6 * patch.formant * np.exp(-0.5 * ((k - centre) / width) ** 2)
        amps *= np.where(k % 2 == 0, odd, 1.0)
        amps[0] = max(amps[0], 0.5 * np.max(amps))  # keep the fundamental, so the pitch is unambiguous
        spectrum = np.zeros(TABLE_SIZE // 2 + 1, dtype=complex)
        spectrum[1:MAX_HARMONICS + 1] = np.where(audible, amps, 0.0) * np.exp(1j * phases)
        cycle = np.fft.irfft(spectrum, TABLE_SIZE)
        tables[index, :TABLE_SIZE] = cycle / (np.max(np.abs(cycle)) + 1e-12)
    tables[:, TABLE_SIZE] = tables[:, 0]
    return tables


def wavetable_voice(patch: WavetablePatch, f0: float, gate_s: float, n: int, sr: int, velocity: float,
                    rng: np.random.Generator) -> np.ndarray:
    """Detuned readers of the morphing table stack, under one envelope."""
    spread = 2 ** (patch.detune_cents / 1200 / 2)
    tables = wavetables(patch, f0 * spread, sr)
    t = np.arange(n) / sr
    # Softer notes stay nearer the start of the table stack (usually the darker end).
    position = np.clip(_morph_position(patch, t, rng) - 0.15 * (1 - velocity), 0.0, 1.0) * (patch.tables - 1)
    lower = np.minimum(position.astype(int), patch.tables - 2)
    weight = position - lower
    detunes = np.linspace(-1, 1, patch.voices) if patch.voices > 1 else np.zeros(1)
    out = np.zeros(n)
    for detune in detunes:
        cycles = f0 * spread**detune * t + rng.uniform()
        where = (cycles - np.floor(cycles)) * TABLE_SIZE
        index = where.astype(int)
        frac = where - index
        below = tables[lower, index] * (1 - frac) + tables[lower, index + 1] * frac
        above = tables[lower + 1, index] * (1 - frac) + tables[lower + 1, index + 1] * frac
        out += below + weight * (above - below)
    env = note_envelope(n, sr, gate_s, patch.attack_s, patch.decay_s, patch.sustain, patch.release_s)
    return out * env / np.sqrt(len(detunes))


def _morph_position(patch: WavetablePatch, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """0..1 through the table stack: a glide from start to end, plus a slow wobble."""
    glide = 1 - 10 ** (-3 * t / max(patch.morph_s, 1e-3))
    wobble = patch.morph_lfo_depth * np.sin(2 * np.pi * (patch.morph_lfo_hz * t + rng.uniform()))
    return np.clip(patch.morph_start + (patch.morph_end - patch.morph_start) * glide + wobble, 0.0, 1.0)
