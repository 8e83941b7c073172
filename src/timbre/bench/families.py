"""Preset families as parameter distributions, and near-variations of a base patch.

Each family maps a SynthPatch field to a distribution: ``("log", lo, hi)`` (log-uniform),
``("uni", lo, hi)``, ``("int", lo, hi)`` (inclusive) or ``("pick", options)``. Fields a family
does not name keep the SynthPatch default. Variations nudge the continuous fields only, so a
group shares its oscillators and filter type and differs in brightness, envelopes and detune.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from timbre.bench.patch import SynthPatch

FAMILIES = ("bass", "lead", "pad", "pluck", "keys", "bell", "brass", "strings", "fx")

_FAST = {"amp_attack_s": ("log", 0.001, 0.01), "filter_attack_s": ("log", 0.001, 0.01)}
_ANALOG = {"osc1_wave": ("pick", ["saw", "square", "pulse"]), "osc2_wave": ("pick", ["saw", "square", "sine"]),
           "pulse_width": ("uni", 0.15, 0.5), "osc2_detune_cents": ("uni", 0, 12)}

FAMILY_SPECS: dict[str, dict[str, tuple]] = {
    "bass": {**_ANALOG, **_FAST, "osc2_semitones": ("pick", [0, -12, 12]), "unison_voices": ("int", 1, 2),
             "unison_detune_cents": ("uni", 4, 15), "sub_level": ("uni", 0.3, 0.8), "cutoff_hz": ("log", 120, 1200),
             "resonance": ("uni", 0, 0.8), "key_tracking": ("uni", 0.2, 0.6), "filter_env_octaves": ("uni", 1, 4),
             "filter_decay_s": ("log", 0.08, 0.6), "filter_sustain": ("uni", 0, 0.4), "filter_stages": ("int", 1, 2),
             "amp_decay_s": ("log", 0.2, 1.0), "amp_sustain": ("uni", 0.5, 1), "amp_release_s": ("log", 0.05, 0.3),
             "filter_lfo_octaves": ("pick", [0, 0, 0.8]), "lfo_rate_hz": ("log", 1, 8), "drive": ("uni", 0, 0.6)},
    "lead": {**_ANALOG, **_FAST, "unison_voices": ("int", 1, 5), "unison_detune_cents": ("uni", 5, 30),
             "cutoff_hz": ("log", 800, 6000), "resonance": ("uni", 0.1, 0.7), "filter_env_octaves": ("uni", 0.5, 2.5),
             "filter_stages": ("int", 1, 2), "amp_sustain": ("uni", 0.6, 1), "amp_release_s": ("log", 0.1, 0.5),
             "vibrato_cents": ("uni", 0, 40), "lfo_rate_hz": ("uni", 4.5, 6.5), "lfo_delay_s": ("uni", 0.2, 0.6),
             "drive": ("uni", 0, 0.5), "chorus_mix": ("uni", 0, 0.3)},
    "pad": {"osc1_wave": ("pick", ["saw", "triangle", "square"]), "osc2_wave": ("pick", ["saw", "triangle", "sine"]),
            "osc2_semitones": ("pick", [0, 7, 12]), "unison_voices": ("int", 3, 7), "unison_detune_cents": ("uni", 10, 40),
            "noise_level": ("uni", 0, 0.1), "cutoff_hz": ("log", 400, 3000), "resonance": ("uni", 0, 0.4),
            "filter_env_octaves": ("uni", 0, 1.5), "filter_attack_s": ("log", 0.3, 1.5), "amp_attack_s": ("log", 0.3, 1.2),
            "amp_decay_s": ("log", 0.5, 2), "amp_sustain": ("uni", 0.6, 1), "amp_release_s": ("log", 0.8, 2),
            "chorus_mix": ("uni", 0.3, 0.8), "filter_lfo_octaves": ("uni", 0, 0.6), "lfo_rate_hz": ("log", 0.1, 1)},
    "pluck": {**_FAST, "osc1_wave": ("pick", ["saw", "square", "triangle"]), "osc2_wave": ("pick", ["saw", "triangle"]),
              "osc2_semitones": ("pick", [0, 12]), "unison_voices": ("int", 1, 3), "unison_detune_cents": ("uni", 3, 15),
              "cutoff_hz": ("log", 200, 1500), "resonance": ("uni", 0.1, 0.6), "filter_env_octaves": ("uni", 2, 5),
              "filter_decay_s": ("log", 0.05, 0.3), "filter_sustain": ("uni", 0, 0.1), "amp_decay_s": ("log", 0.2, 0.8),
              "amp_sustain": ("uni", 0, 0.1), "amp_release_s": ("log", 0.1, 0.4)},
    "keys": {**_FAST, "osc1_wave": ("pick", ["sine", "triangle"]), "osc2_wave": ("pick", ["sine"]),
             "osc1_level": ("uni", 0.3, 0.7), "osc2_level": ("uni", 0, 0.3), "osc2_semitones": ("pick", [0, 12]),
             "fm_level": ("uni", 0.5, 1), "fm_ratio": ("pick", [1.0, 2.0, 3.0, 14.0]), "fm_index": ("uni", 1, 5),
             "fm_decay_s": ("log", 0.2, 1.5), "cutoff_hz": ("log", 2000, 8000), "filter_env_octaves": ("uni", 0, 1),
             "amp_decay_s": ("log", 1, 2.5), "amp_sustain": ("uni", 0.1, 0.4), "amp_release_s": ("log", 0.2, 0.5),
             "tremolo_depth": ("uni", 0, 0.3), "lfo_rate_hz": ("uni", 3, 6), "chorus_mix": ("uni", 0, 0.4)},
    "bell": {"osc1_wave": ("pick", ["sine"]), "osc2_wave": ("pick", ["sine", "triangle"]), "osc1_level": ("uni", 0, 0.3),
             "osc2_level": ("uni", 0, 0.2), "osc2_semitones": ("pick", [7, 19, 24]), "ring_level": ("uni", 0, 0.4),
             "fm_level": ("uni", 0.8, 1), "fm_ratio": ("pick", [1.4, 2.76, 3.5, 5.19, 7.0]), "fm_index": ("uni", 2, 8),
             "fm_decay_s": ("log", 0.5, 2.5), "cutoff_hz": ("log", 4000, 12000), "amp_attack_s": ("log", 0.001, 0.003),
             "amp_decay_s": ("log", 1.5, 3), "amp_sustain": ("uni", 0, 0.1), "amp_release_s": ("log", 1, 2)},
    "brass": {"osc1_wave": ("pick", ["saw"]), "osc2_wave": ("pick", ["saw", "pulse"]), "osc2_detune_cents": ("uni", 3, 10),
              "unison_voices": ("int", 1, 3), "unison_detune_cents": ("uni", 3, 12), "cutoff_hz": ("log", 300, 1200),
              "filter_env_octaves": ("uni", 2, 4), "filter_attack_s": ("log", 0.03, 0.12), "filter_decay_s": ("log", 0.2, 0.6),
              "filter_sustain": ("uni", 0.4, 0.7), "amp_attack_s": ("log", 0.02, 0.08), "amp_sustain": ("uni", 0.7, 1),
              "amp_release_s": ("log", 0.1, 0.3), "vibrato_cents": ("uni", 0, 20), "lfo_delay_s": ("uni", 0.2, 0.5),
              "pitch_env_semitones": ("uni", -1.0, 0), "pitch_env_decay_s": ("log", 0.03, 0.08), "drive": ("uni", 0, 0.3)},
    "strings": {"osc1_wave": ("pick", ["saw"]), "osc2_wave": ("pick", ["saw", "pulse"]), "unison_voices": ("int", 3, 6),
                "unison_detune_cents": ("uni", 8, 25), "cutoff_hz": ("log", 1500, 5000), "resonance": ("uni", 0, 0.3),
                "filter_env_octaves": ("uni", 0, 1), "amp_attack_s": ("log", 0.15, 0.5), "amp_sustain": ("uni", 0.8, 1),
                "amp_release_s": ("log", 0.4, 1.2), "vibrato_cents": ("uni", 5, 25), "lfo_rate_hz": ("uni", 5, 6.5),
                "lfo_delay_s": ("uni", 0.3, 0.6), "chorus_mix": ("uni", 0.2, 0.6)},
    "fx": {"osc1_wave": ("pick", ["saw", "square", "triangle", "sine"]), "osc2_wave": ("pick", ["saw", "square", "sine"]),
           "osc2_semitones": ("uni", -12, 12), "noise_level": ("uni", 0.2, 0.8), "pitch_env_semitones": ("uni", -36, 36),
           "pitch_env_decay_s": ("log", 0.1, 1.5), "filter_type": ("pick", ["lp", "hp", "bp"]), "resonance": ("uni", 0.5, 0.95),
           "cutoff_hz": ("log", 300, 5000), "filter_lfo_octaves": ("uni", 1, 3), "lfo_rate_hz": ("log", 0.3, 8),
           "ring_level": ("uni", 0, 0.6), "fm_level": ("uni", 0, 0.7), "fm_ratio": ("uni", 0.5, 8), "fm_index": ("uni", 0, 6),
           "amp_attack_s": ("log", 0.001, 0.5), "amp_sustain": ("uni", 0.3, 1), "amp_release_s": ("log", 0.3, 1.5),
           "chorus_mix": ("uni", 0, 0.6), "drive": ("uni", 0, 0.5)},
}

VARIATION_OCTAVES = 0.15  # spread of log-scaled fields (about +-10 %)
VARIATION_SHARE = 0.06  # spread of linear fields, as a share of the family's range


def sample_patch(family: str, rng: np.random.Generator) -> SynthPatch:
    """A random patch of ``family``."""
    values = {name: _draw(spec, rng) for name, spec in FAMILY_SPECS[family].items()}
    return SynthPatch(**values)


def vary_patch(base: SynthPatch, family: str, rng: np.random.Generator) -> SynthPatch:
    """A near-variation of ``base``: every continuous field nudged, discrete choices kept."""
    changes = {}
    for name, spec in FAMILY_SPECS[family].items():
        kind, value = spec[0], getattr(base, name)
        if kind == "log":
            changes[name] = _rounded(np.clip(value * 2 ** rng.normal(0, VARIATION_OCTAVES), spec[1] * 0.8, spec[2] * 1.25))
        elif kind == "uni":
            low, high = spec[1], spec[2]
            changes[name] = _rounded(np.clip(value + rng.normal(0, VARIATION_SHARE * (high - low)), low, high))
    return replace(base, **changes)


def _draw(spec: tuple, rng: np.random.Generator):
    kind = spec[0]
    if kind == "pick":
        choice = spec[1][int(rng.integers(len(spec[1])))]
        return float(choice) if isinstance(choice, (int, float)) and not isinstance(choice, bool) else choice
    if kind == "int":
        return int(rng.integers(spec[1], spec[2] + 1))
    if kind == "log":
        return _rounded(np.exp(rng.uniform(np.log(spec[1]), np.log(spec[2]))))
    if kind == "uni":
        return _rounded(rng.uniform(spec[1], spec[2]))
    raise ValueError(f"unknown distribution {kind!r}")


def _rounded(value) -> float:
    # Rounded so preset JSON stays readable; values are what the renderer uses.
    return round(float(value), 5)
