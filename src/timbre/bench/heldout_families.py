"""Families of the held-out source: which voice model, which knob ranges, which register.

A base patch draws every knob in its range plus the family's discrete choices (mode ratios, FM
algorithm, wavetable seed). A variant keeps those choices and nudges the knobs and the listed
tuple fields a little, so a variation group shares its character and differs in detail.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from timbre.bench.heldout_patch import FmPatch, HeldoutPatch, ModalPatch, ReedPatch, StringPatch, WavetablePatch
from timbre.bench.heldout_tones import ALGORITHMS

NUDGE_OCTAVES = 0.15  # log knobs: about +-10 %
NUDGE_SHARE = 0.06  # linear knobs: a share of the knob's range


@dataclass(frozen=True)
class Knob:
    """A continuous parameter drawn uniformly in ``low..high`` (in log space when ``log``)."""

    low: float
    high: float
    log: bool = False

    def draw(self, rng: np.random.Generator) -> float:
        if self.log:
            return _tidy(np.exp(rng.uniform(np.log(self.low), np.log(self.high))))
        return _tidy(rng.uniform(self.low, self.high))

    def nudge(self, value: float, rng: np.random.Generator) -> float:
        if self.log:
            return _tidy(np.clip(value * 2 ** rng.normal(0, NUDGE_OCTAVES), self.low * 0.8, self.high * 1.25))
        return _tidy(np.clip(value + rng.normal(0, NUDGE_SHARE * (self.high - self.low)), self.low, self.high))


@dataclass(frozen=True)
class Family:
    """A held-out family: ``choose`` draws the discrete part of a base patch, ``knobs`` the rest."""

    name: str
    register: tuple[int, int]  # MIDI roots its target phrases start from
    patch_type: type
    knobs: dict[str, Knob]
    choose: Callable[[np.random.Generator], dict] = lambda rng: {}
    nudged_tuples: tuple[str, ...] = field(default=())


# Mode ratios of real instruments (bars tuned by undercutting, a free bar, a clamped tine) and bells.
_BARS = ((1.0, 3.99, 9.14), (1.0, 4.0, 10.1), (1.0, 3.0, 6.1, 10.2), (1.0, 2.756, 5.404, 8.933, 13.34),
         (1.0, 6.27, 17.55))
_BELLS = ((0.5, 1.0, 1.19, 1.5, 2.0, 2.52, 2.66, 3.01, 4.1), (1.0, 2.32, 4.25, 6.63, 9.38),
          (1.0, 1.59, 2.14, 2.65, 2.92, 3.5, 4.15))
_FM_RATIOS = (1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 14.0)


def _modes(sets: tuple, spread: float, rng: np.random.Generator) -> dict:
    """One of ``sets``, every ratio but the first moved by up to ``spread``, with falling random gains."""
    ratios = np.asarray(sets[int(rng.integers(len(sets)))])
    moved = ratios * (1 + rng.uniform(-spread, spread, len(ratios)) * (ratios != 1.0))
    gains = np.concatenate([[1.0], rng.uniform(0.15, 0.9, len(ratios) - 1)])
    return {"ratios": tuple(_tidy(r) for r in moved), "gains": tuple(_tidy(g) for g in gains)}


def _fm_choices(operators: int, algorithms: tuple[str, ...], rng: np.random.Generator) -> dict:
    """Algorithm and ratios, with per-operator levels, decays and sustains by role (carrier or modulator)."""
    algorithm = str(algorithms[int(rng.integers(len(algorithms)))])
    carriers = ALGORITHMS[algorithm][1]
    ratios = [1.0] + [float(rng.choice(_FM_RATIOS)) for _ in range(operators - 1)]
    levels, decays, sustains = [], [], []
    for op in range(operators):
        heard = op in carriers
        levels.append(Knob(0.6, 1.0).draw(rng) if heard else Knob(0.5, 5.0).draw(rng))
        decays.append(Knob(0.8, 4.0, log=True).draw(rng) if heard else Knob(0.08, 1.5, log=True).draw(rng))
        sustains.append(Knob(0.0, 0.8).draw(rng) if heard else Knob(0.0, 0.4).draw(rng))
    return {"algorithm": algorithm, "ratios": tuple(ratios), "levels": tuple(levels), "decays_s": tuple(decays),
            "sustains": tuple(sustains)}


FAMILIES: dict[str, Family] = {family.name: family for family in (
    Family("string", (40, 64), StringPatch, {
        "decay_s": Knob(1.5, 6.0, log=True), "release_s": Knob(0.08, 0.4, log=True), "stretch": Knob(0.1, 0.5),
        "pick_position": Knob(0.08, 0.45), "pluck_width": Knob(1.0, 6.0, log=True),
        "course_detune_cents": Knob(1.0, 8.0), "body_hz": Knob(90, 400, log=True), "body_level": Knob(0.0, 0.5)},
        lambda rng: {"courses": int(rng.choice([1, 1, 2]))}),
    Family("mallet", (55, 79), ModalPatch, {
        "decay_s": Knob(0.4, 2.5, log=True), "decay_tilt": Knob(0.3, 1.2), "brightness": Knob(0.1, 0.8),
        "hardness": Knob(0.1, 0.9), "release_s": Knob(0.1, 0.8, log=True)},
        lambda rng: _modes(_BARS, 0.015, rng), ("gains",)),
    Family("bell", (60, 84), ModalPatch, {
        "decay_s": Knob(2.0, 6.0, log=True), "decay_tilt": Knob(0.2, 0.8), "brightness": Knob(0.2, 0.8),
        "hardness": Knob(0.2, 1.0), "release_s": Knob(0.8, 2.5, log=True), "beat_hz": Knob(0.5, 4.0)},
        lambda rng: _modes(_BELLS, 0.04, rng), ("gains",)),
    Family("reed", (50, 72), ReedPatch, {
        "opening": Knob(0.85, 0.95), "blow": Knob(0.04, 0.09), "loss": Knob(0.95, 0.99),
        "bore_tone": Knob(0.2, 0.5), "tone_hz": Knob(700, 5000, log=True), "noise": Knob(0.01, 0.12),
        "wobble": Knob(0.0, 0.05), "wobble_hz": Knob(4.0, 6.5), "attack_s": Knob(0.02, 0.15, log=True),
        "release_s": Knob(0.05, 0.3, log=True)}),
    Family("fmkeys", (50, 70), FmPatch, {
        "detune_cents": Knob(0.0, 8.0), "feedback": Knob(0.0, 1.0), "attack_s": Knob(0.001, 0.03, log=True),
        "release_s": Knob(0.1, 0.6, log=True)},
        lambda rng: _fm_choices(4, ("stack", "twin", "fan", "branch"), rng), ("levels", "decays_s")),
    Family("fmbass", (28, 45), FmPatch, {
        "detune_cents": Knob(0.0, 4.0), "feedback": Knob(0.0, 1.2), "attack_s": Knob(0.001, 0.01, log=True),
        "release_s": Knob(0.08, 0.3, log=True)},
        lambda rng: _fm_choices(2, ("pair",), rng), ("levels", "decays_s")),
    Family("wavetable", (48, 67), WavetablePatch, {
        "tilt": Knob(0.6, 1.6), "formant": Knob(0.0, 1.0), "morph_start": Knob(0.0, 0.5), "morph_end": Knob(0.3, 1.0),
        "morph_s": Knob(0.2, 3.0, log=True), "morph_lfo_hz": Knob(0.1, 2.0, log=True),
        "morph_lfo_depth": Knob(0.0, 0.3), "detune_cents": Knob(3.0, 20.0), "attack_s": Knob(0.003, 0.6, log=True),
        "decay_s": Knob(0.3, 3.0, log=True), "sustain": Knob(0.3, 1.0), "release_s": Knob(0.1, 1.2, log=True)},
        lambda rng: {"table_seed": int(rng.integers(2**31)), "tables": int(rng.integers(2, 5)),
                     "voices": int(rng.integers(1, 4))}),
)}
FAMILY_NAMES = tuple(FAMILIES)
REGISTERS = {name: family.register for name, family in FAMILIES.items()}


def sample_heldout_patch(family: str, rng: np.random.Generator) -> HeldoutPatch:
    """A random base patch of held-out ``family``."""
    spec = FAMILIES[family]
    chosen = spec.choose(rng)
    return spec.patch_type(**chosen, **{name: knob.draw(rng) for name, knob in spec.knobs.items()})


def vary_heldout_patch(base: HeldoutPatch, family: str, rng: np.random.Generator) -> HeldoutPatch:
    """A near-variation of ``base``: knobs nudged, listed tuples scaled a little, choices kept."""
    spec = FAMILIES[family]
    changes = {name: knob.nudge(getattr(base, name), rng) for name, knob in spec.knobs.items()}
    for name in spec.nudged_tuples:
        changes[name] = tuple(_tidy(v * 2 ** rng.normal(0, NUDGE_OCTAVES)) for v in getattr(base, name))
    return replace(base, **changes)


def _tidy(value) -> float:
    # Rounded so preset JSON stays readable; the rounded values are what is rendered.
    return round(float(value), 5)
