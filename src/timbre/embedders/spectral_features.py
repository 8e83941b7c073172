"""Pitch-robust timbre descriptors for the ``spectral`` embedder, in three blocks:

* ``partials``: the pitch-free pattern of spectral peaks on a log-frequency axis
  (:mod:`timbre.embedders.spectral_partials`);
* ``shape``: centroid, spread, rolloff, flatness, slope, spectral movement;
* ``temporal``: attack time and early decay pooled over detected notes.

Each function returns a 1-d float64 vector; missing measurements are NaN and replaced by the
standardisation centre later.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from timbre.dsp import frame_signal, log_power, mel_filterbank, power_spectrogram
from timbre.embedders import spectral_partials

SAMPLE_RATE = 22050
N_FFT = 2048
HOP = 512
N_MELS = 64
#: Frames within this many dB of the loudest frame count as "sounding".
ACTIVE_RANGE_DB = 30.0
ENVELOPE_HOP = 110  # 5 ms envelope for attack/decay
ENVELOPE_FRAME = 441
DECAY_TIMES = (0.1, 0.3)

BLOCK_DIMS = {"partials": spectral_partials.MAX_LAG, "shape": 6, "temporal": 3}

_FREQS = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
_MEL = mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS, fmin=40.0)


@dataclass
class Analysis:
    """Shared per-clip analysis: power spectrogram, log-mel, loud-frame mask."""

    power: np.ndarray        # (frames, bins)
    log_mel: np.ndarray      # (frames, mels) dB
    active: np.ndarray       # (frames,) bool
    signal: np.ndarray


def analyse(signal: np.ndarray) -> Analysis:
    """Run the STFT and mel analysis once for the shape and temporal blocks."""
    power = power_spectrogram(signal, N_FFT, HOP)
    log_mel = log_power(power @ _MEL.T)
    frame_db = log_power(power.sum(axis=1))
    active = frame_db > frame_db.max() - ACTIVE_RANGE_DB
    return Analysis(power, log_mel, active, signal)


def spectral_centroid(power: np.ndarray) -> np.ndarray:
    """Per-frame centroid in Hz."""
    return (power @ _FREQS) / np.maximum(power.sum(axis=1), 1e-12)


def shape_features(a: Analysis) -> np.ndarray:
    """Median log2 centroid, log2 spread, log2 rolloff-85, flatness (dB), slope (dB/octave)
    over loud frames, and median spectral movement of the level-free log-mel."""
    power = a.power[a.active]
    total = np.maximum(power.sum(axis=1), 1e-12)
    centroid = spectral_centroid(power)
    spread = np.sqrt(np.maximum((power @ _FREQS ** 2) / total - centroid ** 2, 1.0))
    cumulative = np.cumsum(power, axis=1)
    rolloff = _FREQS[np.argmax(cumulative >= 0.85 * total[:, None], axis=1)]
    band = (_FREQS > 50) & (_FREQS < 10000)
    log_band = log_power(power[:, band])
    flatness = log_band.mean(1) - log_power(power[:, band].mean(1))
    mel_db = a.log_mel[a.active]
    slope = ((mel_db.T - mel_db.mean(1)).T @ _MEL_OCTAVES_C) / (_MEL_OCTAVES_C @ _MEL_OCTAVES_C)
    shape = mel_db - mel_db.mean(axis=1, keepdims=True)
    movement = np.abs(np.diff(shape, axis=0)).mean(1) if len(shape) > 1 else np.zeros(1)
    return np.array([
        np.median(np.log2(np.maximum(centroid, 20.0))), np.median(np.log2(spread)),
        np.median(np.log2(np.maximum(rolloff, 20.0))), np.median(flatness), np.median(slope),
        np.log1p(np.median(movement)),
    ])


_MEL_CENTRES = (_MEL * _FREQS).sum(1) / _MEL.sum(1)
_MEL_OCTAVES_C = np.log2(_MEL_CENTRES) - np.log2(_MEL_CENTRES).mean()


def temporal_features(a: Analysis) -> np.ndarray:
    """Median over detected notes of log attack time and level drop 100/300 ms after the peak."""
    envelope = _envelope_db(a.signal)
    onsets = detect_onsets(a.log_mel)
    per_note = [_note_shape(envelope, onset, end) for onset, end in
                zip(onsets, list(onsets[1:]) + [len(envelope)])]
    if not per_note:
        return np.full(3, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        return np.nanmedian(np.array(per_note), axis=0)


def _envelope_db(signal: np.ndarray) -> np.ndarray:
    frames = frame_signal(signal, ENVELOPE_FRAME, ENVELOPE_HOP)
    return log_power((frames.astype(np.float64) ** 2).mean(axis=1))


def detect_onsets(log_mel: np.ndarray, threshold_db: float = 2.0) -> list[int]:
    """Onsets as envelope-frame indices: peaks of positive log-mel flux, >= 90 ms apart."""
    flux = np.maximum(np.diff(log_mel, axis=0, prepend=log_mel[:1] - 100), 0).mean(axis=1)
    flux[0] = max(flux[0], threshold_db * 2)  # the clip start (after trimming) is an onset
    peaks = [i for i in range(len(flux))
             if flux[i] > threshold_db and flux[i] >= flux[max(i - 1, 0):i + 2].max()]
    onsets: list[int] = []
    min_gap = int(0.09 * SAMPLE_RATE / HOP) + 1
    for index in peaks:
        if not onsets or index - onsets[-1] >= min_gap:
            onsets.append(index)
    scale = HOP / ENVELOPE_HOP
    return [int(max(0, (i - 1) * scale)) for i in onsets]


def _note_shape(envelope: np.ndarray, start: int, end: int) -> list[float]:
    rate = SAMPLE_RATE / ENVELOPE_HOP
    window = envelope[start:min(end, start + int(0.5 * rate))]
    if window.size < 3:
        return [np.nan] * 3
    peak = int(np.argmax(window))
    rise = window[:peak + 1]
    below = np.flatnonzero(rise < window[peak] - 20.0)
    attack_start = below[-1] + 1 if below.size else 0
    attack = np.log10((peak - attack_start + 1) / rate)
    drops = []
    for seconds in DECAY_TIMES:
        position = start + peak + int(seconds * rate)
        drops.append(envelope[position] - window[peak] if position < min(end, len(envelope))
                     else np.nan)
    return [attack, *drops]


def all_blocks(signal: np.ndarray) -> dict[str, np.ndarray]:
    """Every feature block of one clip, keyed by block name (order of ``BLOCK_DIMS``)."""
    a = analyse(signal)
    return {
        "partials": spectral_partials.partials_features(signal),
        "shape": shape_features(a),
        "temporal": temporal_features(a),
    }
