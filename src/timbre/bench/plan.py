"""What a benchmark of a given size holds: presets in variation groups, and target phrases.

Planning is cheap and sequential; every item gets its own random stream derived from
``(seed, item kind, index)``, so rendering can run in any order on any number of workers
and still give identical files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from timbre.bench.effects import random_fx_chain
from timbre.bench.patch import Preset
from timbre.bench.sequences import KINDS, make_phrase
from timbre.bench.sources import SOURCES, SoundSource
from timbre.bench.synth import Note
from timbre.errors import TimbreError

_PRESET_STREAM, _TARGET_STREAM, _RENDER_STREAM = 1, 2, 3


class BenchError(TimbreError):
    """A benchmark cannot be rendered with the given arguments."""


@dataclass(frozen=True)
class BenchSize:
    """Preset count, target count and the range of presets per variation group."""

    presets: int
    targets: int
    group_min: int
    group_max: int


SIZES = {
    "tiny": BenchSize(presets=6, targets=4, group_min=2, group_max=2),
    "small": BenchSize(presets=40, targets=24, group_min=3, group_max=4),
    "bench": BenchSize(presets=1000, targets=300, group_min=3, group_max=6),
    "30k": BenchSize(presets=30000, targets=0, group_min=3, group_max=6),
}


@dataclass(frozen=True)
class TargetPlan:
    """One target loop: the preset that plays it, its phrase, effects and file format."""

    target_id: str
    preset: Preset
    kind: str
    notes: tuple[Note, ...]
    fx: tuple[dict, ...]
    sample_rate: int
    bit_depth: int
    peak: float


def item_rng(seed: int, stream: int, index: int) -> np.random.Generator:
    """Independent generator for item ``index`` of ``stream``."""
    return np.random.default_rng(np.random.SeedSequence([seed, stream, index]))


def render_rng(seed: int, stream: int, index: int) -> np.random.Generator:
    """Generator for the audio-level randomness (phases, noise) of one rendered item."""
    return item_rng(seed, _RENDER_STREAM * 10 + stream, index)


def get_size(size: str) -> BenchSize:
    try:
        return SIZES[size]
    except KeyError:
        raise BenchError(f"unknown benchmark size {size!r}; use one of {', '.join(SIZES)}") from None


def get_source(name: str) -> SoundSource:
    try:
        return SOURCES[name]
    except KeyError:
        raise BenchError(f"unknown sound source {name!r}; use one of {', '.join(SOURCES)}") from None


def plan_presets(size: BenchSize, seed: int, source: SoundSource = SOURCES["synth"]) -> list[Preset]:
    """Groups of near-variations (variant 0 is the base patch), the source's families in rotation."""
    presets: list[Preset] = []
    group_index = 0
    while len(presets) < size.presets:
        rng = item_rng(seed, _PRESET_STREAM + source.stream_offset, group_index)
        family = source.families[group_index % len(source.families)]
        group = f"{family}-{group_index:05d}"
        base = source.sample_patch(family, rng)
        count = int(rng.integers(size.group_min, size.group_max + 1))
        for variant in range(min(count, size.presets - len(presets))):
            patch = base if variant == 0 else source.vary_patch(base, family, rng)
            presets.append(Preset(f"{group}-v{variant}", family, group, patch))
        group_index += 1
    return presets


def plan_targets(size: BenchSize, presets: list[Preset], seed: int,
                 source: SoundSource = SOURCES["synth"]) -> list[TargetPlan]:
    """Half with effects (odd ids), kinds in turn, random preset, sample rate and bit depth;
    phrases start in the register of the preset's family."""
    plans = []
    for index in range(size.targets):
        rng = item_rng(seed, _TARGET_STREAM + source.stream_offset, index)
        preset = presets[int(rng.integers(len(presets)))]
        kind = KINDS[(index // 2) % len(KINDS)]
        notes = tuple(make_phrase(kind, preset.family, rng, source.ranges))
        fx = tuple(random_fx_chain(rng)) if index % 2 == 1 else ()
        plans.append(TargetPlan(f"t{index:05d}", preset, kind, notes, fx, int(rng.choice([44100, 48000])),
                                int(rng.choice([16, 24])), round(float(rng.uniform(0.5, 0.95)), 4)))
    return plans

