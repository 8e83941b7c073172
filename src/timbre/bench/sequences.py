"""Musical phrases for target loops: melodies, chord progressions and arpeggios."""

from __future__ import annotations

import numpy as np

from timbre.bench.synth import Note

KINDS = ("melody", "chord", "arp")
PREVIEW_MIDI = 48
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
# Comfortable root ranges (MIDI) per family, so a bass plays low and a bell plays high.
FAMILY_RANGES = {"bass": (28, 45), "lead": (57, 74), "pad": (50, 64), "pluck": (52, 70), "keys": (50, 67),
                 "bell": (60, 79), "brass": (50, 65), "strings": (50, 67), "fx": (43, 67)}


def make_phrase(kind: str, family: str, rng: np.random.Generator,
                ranges: dict[str, tuple[int, int]] = FAMILY_RANGES) -> list[Note]:
    """Notes of one ``kind`` phrase lasting about 3.5-10 s, at a tempo of 80-150 BPM, rooted in
    ``family``'s range (``ranges``: family -> lowest and highest MIDI root)."""
    low, high = ranges[family]
    root = int(rng.integers(low, high + 1))
    if root == PREVIEW_MIDI:
        root += 2  # targets are played at other pitches than the C3 preview
    scale = SCALES["major" if rng.uniform() < 0.5 else "minor"]
    beat_s = 60.0 / float(rng.uniform(80, 150))
    length_s = float(rng.uniform(3.5, 10.0))
    if kind == "melody":
        return _melody(root, scale, beat_s, length_s, rng)
    if kind == "chord":
        return _chords(root, scale, beat_s, length_s, rng)
    if kind == "arp":
        return _arpeggio(root, scale, beat_s, length_s, rng)
    raise ValueError(f"unknown phrase kind {kind!r}; use one of {', '.join(KINDS)}")


def phrase_end_s(notes: list[Note]) -> float:
    """When the last key is released."""
    return max(note.onset_s + note.gate_s for note in notes)


def _pitch(root: int, scale: tuple, degree: int) -> int:
    octave, step = divmod(degree, len(scale))
    return root + 12 * octave + scale[step]


def _melody(root: int, scale: tuple, beat_s: float, length_s: float, rng: np.random.Generator) -> list[Note]:
    notes, onset, degree = [], 0.0, 0
    legato = float(rng.uniform(0.6, 0.95))
    while onset < length_s or not notes:
        beats = float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0]))
        velocity = float(rng.uniform(0.7, 1.0))
        notes.append(Note(onset, _pitch(root, scale, degree), beats * beat_s * legato, velocity))
        onset += beats * beat_s
        degree = int(np.clip(degree + rng.integers(-2, 3), -3, 9))
    return notes


def _chord_degrees(rng: np.random.Generator, bars: int) -> list[int]:
    return [0] + [int(rng.choice([3, 4, 5, 1, 2])) for _ in range(bars - 1)]


def _chords(root: int, scale: tuple, beat_s: float, length_s: float, rng: np.random.Generator) -> list[Note]:
    bar_s = 4 * beat_s
    bars = max(1, int(length_s / bar_s))
    size = int(rng.integers(3, 5))
    notes = []
    for bar, degree in enumerate(_chord_degrees(rng, bars)):
        for tone in range(size):
            midi = _pitch(root, scale, degree + 2 * tone)
            notes.append(Note(bar * bar_s, midi, bar_s * 0.92, float(rng.uniform(0.6, 0.8))))
    return notes


def _arpeggio(root: int, scale: tuple, beat_s: float, length_s: float, rng: np.random.Generator) -> list[Note]:
    step_s = beat_s / float(rng.choice([2, 4]))
    pattern = [0, 2, 4, 7] if rng.uniform() < 0.5 else [0, 2, 4, 7, 4, 2]
    gate = step_s * float(rng.uniform(0.4, 0.9))
    bar_s = 4 * beat_s
    bars = max(1, int(round(length_s / bar_s)))
    notes, onset = [], 0.0
    for bar, degree in enumerate(_chord_degrees(rng, bars)):
        index = 0
        while onset < (bar + 1) * bar_s - 1e-9:
            midi = _pitch(root, scale, degree + pattern[index % len(pattern)])
            notes.append(Note(onset, midi, gate, float(rng.uniform(0.6, 1.0))))
            onset += step_s
            index += 1
    return notes
