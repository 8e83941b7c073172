"""Patches of the held-out voice engine: one small dataclass per voice model, stored as preset JSON.

The held-out source exists so benchmark gains can be checked on sounds the tuning synth cannot
make. Each patch names its ``engine``; times are seconds (decays and releases are T60s), levels
0..1, pitches cents or frequency ratios.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import ClassVar


class _EnginePatch:
    """What every held-out patch shares: its source name and JSON form."""

    source: ClassVar[str] = "heldout"
    engine: ClassVar[str] = ""

    def to_dict(self) -> dict:
        """Plain JSON-able fields plus the ``engine`` name."""
        return {"engine": self.engine, **asdict(self)}


@dataclass(frozen=True)
class StringPatch(_EnginePatch):
    """Extended Karplus-Strong plucked string (delay line with a two-point loss filter)."""

    engine: ClassVar[str] = "string"
    decay_s: float = 3.0
    release_s: float = 0.3
    stretch: float = 0.3
    pick_position: float = 0.2
    pluck_width: float = 2.0
    courses: int = 1
    course_detune_cents: float = 4.0
    body_hz: float = 180.0
    body_level: float = 0.2


@dataclass(frozen=True)
class ModalPatch(_EnginePatch):
    """Struck bar or bell: decaying sine modes at (inharmonic) frequency ratios."""

    engine: ClassVar[str] = "modal"
    ratios: tuple[float, ...] = (1.0, 3.99, 9.14)
    gains: tuple[float, ...] = (1.0, 0.5, 0.25)
    decay_s: float = 1.5
    decay_tilt: float = 1.0
    brightness: float = 0.8
    hardness: float = 0.3
    release_s: float = 0.5
    beat_hz: float = 0.0


@dataclass(frozen=True)
class ReedPatch(_EnginePatch):
    """Clarinet-like waveguide: a bore delay line closed by a non-linear reed.

    ``opening`` is how far the reed is open while blown (below 1, where it would stop closing),
    ``blow`` how far the loop gain exceeds 1 (how hard above the threshold of oscillation).
    """

    engine: ClassVar[str] = "reed"
    opening: float = 0.9
    blow: float = 0.08
    loss: float = 0.97
    bore_tone: float = 0.5
    tone_hz: float = 2500.0
    noise: float = 0.1
    wobble: float = 0.03
    wobble_hz: float = 5.0
    attack_s: float = 0.05
    release_s: float = 0.2


@dataclass(frozen=True)
class FmPatch(_EnginePatch):
    """Two to four sine operators in an ``algorithm``; modulator levels are indices in radians."""

    engine: ClassVar[str] = "fm"
    algorithm: str = "stack"
    ratios: tuple[float, ...] = (1.0, 2.0)
    levels: tuple[float, ...] = (1.0, 2.0)
    decays_s: tuple[float, ...] = (1.5, 0.8)
    sustains: tuple[float, ...] = (0.3, 0.1)
    detune_cents: float = 3.0
    feedback: float = 0.0
    attack_s: float = 0.002
    release_s: float = 0.3


@dataclass(frozen=True)
class WavetablePatch(_EnginePatch):
    """Morphing between single-cycle tables built from random harmonic spectra (``table_seed``)."""

    engine: ClassVar[str] = "wavetable"
    table_seed: int = 0
    tables: int = 3
    tilt: float = 1.0
    formant: float = 0.5
    morph_start: float = 0.0
    morph_end: float = 1.0
    morph_s: float = 1.0
    morph_lfo_hz: float = 0.5
    morph_lfo_depth: float = 0.0
    voices: int = 1
    detune_cents: float = 8.0
    attack_s: float = 0.01
    decay_s: float = 1.0
    sustain: float = 0.7
    release_s: float = 0.3


HeldoutPatch = StringPatch | ModalPatch | ReedPatch | FmPatch | WavetablePatch
PATCH_TYPES: dict[str, type] = {cls.engine: cls for cls in (StringPatch, ModalPatch, ReedPatch, FmPatch,
                                                            WavetablePatch)}


def patch_from_dict(data: dict) -> HeldoutPatch:
    """Inverse of ``patch.to_dict()``; lists become tuples, unknown keys are ignored."""
    cls = PATCH_TYPES[data["engine"]]
    known = {f.name for f in fields(cls)}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known})
