"""The held-out sound source: phrases played by physical-model, FM and wavetable voices.

Used only to report benchmark numbers, never to tune timbre, so a gain measured on the
benchmark synth can be checked on sounds made by a different code path.
"""

from __future__ import annotations

import numpy as np

from timbre.bench.envelopes import fade_edges
from timbre.bench.filter import dc_block
from timbre.bench.heldout_patch import HeldoutPatch
from timbre.bench.heldout_physical import plucked_string, reed_pipe, struck_modes
from timbre.bench.heldout_tones import fm_voice, wavetable_voice
from timbre.bench.synth import Note, midi_to_hz

MAX_TAIL_S = 2.0
POLYPHONY = 8
VOICES = {"string": plucked_string, "modal": struck_modes, "reed": reed_pipe, "fm": fm_voice,
          "wavetable": wavetable_voice}


def heldout_tail_s(patch: HeldoutPatch) -> float:
    """How long a note sounds on after its key is released (its release T60, at most ``MAX_TAIL_S``)."""
    return min(patch.release_s, MAX_TAIL_S)


def render_heldout_phrase(patch: HeldoutPatch, notes: list[Note], sr: int, length_s: float,
                          rng: np.random.Generator) -> np.ndarray:
    """Mix of all ``notes``, each a voice of ``patch``'s engine at its own pitch; DC removed, edges faded."""
    total = int(round(length_s * sr))
    mix = np.zeros(total)
    voice = VOICES[patch.engine]
    for index, note in enumerate(notes):
        start = int(round(note.onset_s * sr))
        if start >= total:
            continue
        voice_s = note.gate_s + heldout_tail_s(patch)
        if index + POLYPHONY < len(notes):  # the oldest voice is cut when a ninth note would start
            voice_s = min(voice_s, max(notes[index + POLYPHONY].onset_s - note.onset_s, 0.01))
        n = min(int(round(voice_s * sr)), total - start)
        sound = voice(patch, midi_to_hz(note.midi), note.gate_s, max(n, 1), sr, note.velocity, rng)
        mix[start:start + n] += fade_edges(sound, sr, fade_in_s=0.0005, fade_out_s=0.005)[:n] * note.velocity
    return fade_edges(dc_block(mix, sr), sr)
