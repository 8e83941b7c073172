"""Sound sources a benchmark can be rendered from: the tuning synth, or the held-out voices.

A source supplies families with their registers, base patches and near-variations, and the
renderer of a phrase. ``stream_offset`` keeps each source's random streams apart; the synth's
is 0, so its benchmarks are the same files they always were.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from timbre.bench import families, heldout, heldout_families, synth
from timbre.bench.sequences import FAMILY_RANGES


@dataclass(frozen=True)
class SoundSource:
    """Everything planning and rendering need to know about one source."""

    name: str
    families: tuple[str, ...]
    ranges: dict[str, tuple[int, int]]
    sample_patch: Callable[[str, np.random.Generator], Any]
    vary_patch: Callable[[Any, str, np.random.Generator], Any]
    render_phrase: Callable[..., np.ndarray]
    tail_s: Callable[[Any], float]
    stream_offset: int


def _synth_tail_s(patch) -> float:
    return min(patch.amp_release_s, synth.MAX_RELEASE_S)


SOURCES: dict[str, SoundSource] = {
    "synth": SoundSource("synth", families.FAMILIES, FAMILY_RANGES, families.sample_patch, families.vary_patch,
                         synth.render_phrase, _synth_tail_s, 0),
    "heldout": SoundSource("heldout", heldout_families.FAMILY_NAMES, heldout_families.REGISTERS,
                           heldout_families.sample_heldout_patch, heldout_families.vary_heldout_patch,
                           heldout.render_heldout_phrase, heldout.heldout_tail_s, 100),
}
