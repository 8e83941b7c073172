"""The ``partials`` block of the ``spectral`` embedder: the pattern of spectral peaks on a
log-frequency axis, made independent of pitch by autocorrelation.

Playing a patch at another pitch shifts its partials along a log-frequency axis without changing
their spacing: harmonics sit at log2(k) octaves above f0 whatever f0 is, a bell's inharmonic
partials keep their ratios, and a detuned unison smears every peak the same way. The
autocorrelation of the log-frequency peak spectrum over lag (in 1/48 octave) keeps exactly that
spacing pattern and drops the absolute position, so a C3 preview and a C5 melody of one patch give
nearly the same vector. It needs no f0 estimate, so chords and inharmonic sounds (which break a
pitch tracker) still give a meaningful vector; a chord adds its own intervals to the pattern
rather than breaking it.

Peaks are weighted by their height within ``FLOOR_DB`` of the frame's loudest bin, so how many
partials stand above the floor (brightness, filter cutoff, noise) shows in the vector too.
"""

from __future__ import annotations

import numpy as np

from timbre.dsp import log_power, power_spectrogram

SAMPLE_RATE = 22050
#: 4096 points at 22.05 kHz resolve harmonics of notes from about 60 Hz up.
N_FFT = 4096
HOP = 1024
BINS_PER_OCTAVE = 48
F_MIN = 60.0
OCTAVES = 7.0
#: Lags 1..MAX_LAG (in 1/48 octave): three octaves, which holds harmonics 1-8 and chord intervals.
MAX_LAG = 144
#: Peaks within this many dB of the loudest bin take part, weighted by height.
FLOOR_DB = 50.0
#: Frames within this many dB of the loudest frame count as sounding.
ACTIVE_RANGE_DB = 30.0

_FREQS = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
_EDGES = F_MIN * 2.0 ** (np.arange(int(OCTAVES * BINS_PER_OCTAVE) + 2) / BINS_PER_OCTAVE)
_LOG_BIN = np.searchsorted(_EDGES, _FREQS) - 1
_IN_RANGE = np.flatnonzero((_LOG_BIN >= 0) & (_LOG_BIN < len(_EDGES) - 1))
# FFT bins are sorted, so each log bin gathers one contiguous run of them: its first FFT bin
# (for np.maximum.reduceat) and the log bin it fills. Low log bins narrower than an FFT bin stay empty.
_RUN_LOG_BINS, _RUN_STARTS = np.unique(_LOG_BIN[_IN_RANGE], return_index=True)


def partials_features(signal: np.ndarray) -> np.ndarray:
    """``(MAX_LAG,)`` mean normalised autocorrelation (lags 1..MAX_LAG) of the log-frequency
    peak spectrum over sounding frames; NaN if no frame has a peak."""
    power = power_spectrogram(signal, N_FFT, HOP).astype(np.float64)
    frame_db = log_power(power.sum(axis=1))
    power = power[frame_db > frame_db.max() - ACTIVE_RANGE_DB]
    peaks = log_frequency_peaks(power)
    centred = peaks - peaks.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(centred, 2 * centred.shape[1], axis=1)
    autocorr = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :MAX_LAG + 1]
    has_peaks = autocorr[:, 0] > 1e-12
    if not has_peaks.any():
        return np.full(MAX_LAG, np.nan)
    return (autocorr[has_peaks, 1:] / autocorr[has_peaks, :1]).mean(axis=0)


def log_frequency_peaks(power: np.ndarray) -> np.ndarray:
    """``(frames, log bins)`` peak spectrum: each local maximum of the dB spectrum within
    ``FLOOR_DB`` of the frame's top, scaled to 0..1 by its height, gathered (max) into
    1/48-octave bins from ``F_MIN``; everything else 0."""
    level = log_power(power).astype(np.float64)
    is_peak = np.zeros(level.shape, dtype=bool)
    is_peak[:, 1:-1] = (level[:, 1:-1] > level[:, :-2]) & (level[:, 1:-1] >= level[:, 2:])
    height = np.clip((level - level.max(axis=1, keepdims=True) + FLOOR_DB) / FLOOR_DB, 0.0, 1.0)
    weights = np.where(is_peak, height, 0.0)[:, _IN_RANGE]
    out = np.zeros((len(power), len(_EDGES) - 1))
    out[:, _RUN_LOG_BINS] = np.maximum.reduceat(weights, _RUN_STARTS, axis=1)
    return out
