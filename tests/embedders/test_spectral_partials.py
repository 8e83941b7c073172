"""The ``partials`` block of ``spectral``: the log-frequency peak pattern is pitch-free, tells
harmonic from inharmonic spectra, and survives chords."""

import numpy as np

from synth_timbres import SR, note
from timbre.embedders.spectral_partials import BINS_PER_OCTAVE, MAX_LAG, partials_features


def _partials(signal: np.ndarray) -> np.ndarray:
    return partials_features(signal.astype(np.float32))


def _bell(midi: int, seconds: float = 1.0) -> np.ndarray:
    """Inharmonic partials at fixed ratios of f0 (a struck-bar/bell spectrum)."""
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    t = np.arange(int(seconds * SR)) / SR
    ratios = np.array([1.0, 2.76, 5.40, 8.93])
    wave = np.sin(2 * np.pi * f0 * t[:, None] * ratios[None, :]) @ (1.0 / ratios)
    return wave * np.exp(-t / 0.6)


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))


def test_vector_has_one_value_per_lag_and_is_finite():
    vector = _partials(note("saw_bright", 48, 1.0))
    assert vector.shape == (MAX_LAG,)
    assert np.all(np.isfinite(vector))


def test_same_timbre_two_octaves_apart_keeps_its_pattern():
    low, high = _partials(note("saw_bright", 48, 1.0)), _partials(note("saw_bright", 72, 1.0))
    other = _partials(note("organ", 48, 1.0))
    assert _distance(low, high) < _distance(low, other)


def test_harmonic_saw_peaks_at_the_octave_and_twelfth_lags():
    vector = _partials(note("saw_bright", 48, 1.0))
    octave, twelfth = BINS_PER_OCTAVE, round(BINS_PER_OCTAVE * np.log2(3))
    between = round(BINS_PER_OCTAVE * 0.8)
    assert vector[octave - 1] > vector[between - 1]
    assert vector[twelfth - 1] > vector[between - 1]


def test_inharmonic_bell_is_told_from_harmonic_tones_at_any_pitch():
    bell_low, bell_high = _partials(_bell(48)), _partials(_bell(67))
    saw = _partials(note("saw_bright", 48, 1.0))
    assert _distance(bell_low, bell_high) < _distance(bell_low, saw)


def test_chord_of_a_timbre_stays_nearer_its_one_note_than_another_timbre():
    one_note = _partials(note("saw_bright", 48, 1.0))
    chord = sum(note("saw_bright", midi, 1.0) for midi in (60, 64, 67))
    other = _partials(note("triangle_pad", 48, 1.0))
    assert _distance(_partials(chord), one_note) < _distance(other, one_note)


def test_silence_gives_nan_not_an_error():
    assert np.all(np.isnan(_partials(np.zeros(SR))))
