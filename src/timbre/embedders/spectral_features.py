"""Pitch-robust timbre descriptors for the ``spectral`` embedder, in four blocks:

* ``envelope``: the smoothed spectral envelope (low-quefrency cepstrum of the log-mel,
  level removed) — median and spread over loud frames;
* ``harmonic``: harmonic amplitudes relative to the strongest one, measured at multiples of
  a per-frame f0 (autocorrelation), so a saw at C3 and at C5 give the same numbers;
  brightness relative to f0, odd/even balance, periodicity (harmonic vs noise);
* ``shape``: centroid, spread, rolloff, flatness, slope, spectral movement;
* ``temporal``: attack time and early decay pooled over detected notes.

Each function takes precomputed analysis (:class:`Analysis`) and returns a 1-d float64
vector; missing measurements are NaN and replaced by the standardisation centre later.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from timbre.dsp import dct_matrix, frame_signal, log_power, mel_filterbank, power_spectrogram

SAMPLE_RATE = 22050
N_FFT = 2048
HOP = 512
N_MELS = 64
N_SMOOTH_CEPSTRUM = 6
#: Centres (Hz) of the bands the harmonic-peak envelope is sampled at.
ENVELOPE_BANDS = np.geomspace(150.0, 8000.0, 10)
N_ENVELOPE_HARMONICS = 64
N_HARMONICS = 12
F0_RANGE = (40.0, 1100.0)
#: Frames within this many dB of the loudest frame count as "sounding".
ACTIVE_RANGE_DB = 30.0
#: Normalised autocorrelation peak above which a frame counts as pitched.
VOICED_PERIODICITY = 0.5
ENVELOPE_HOP = 110  # 5 ms envelope for attack/decay
ENVELOPE_FRAME = 441
DECAY_TIMES = (0.1, 0.3)

BLOCK_DIMS = {"envelope": N_SMOOTH_CEPSTRUM + len(ENVELOPE_BANDS), "harmonic": N_HARMONICS - 1 + 4, "shape": 6, "temporal": 3}

_FREQS = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
_MEL = mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS, fmin=40.0)
_DCT = dct_matrix(N_MELS, N_SMOOTH_CEPSTRUM + 1)


@dataclass
class Analysis:
    """Shared per-clip analysis: power spectrogram, log-mel, loud-frame mask, f0 track."""

    power: np.ndarray        # (frames, bins)
    log_mel: np.ndarray      # (frames, mels) dB
    active: np.ndarray       # (frames,) bool
    f0: np.ndarray           # (frames,) Hz, NaN where unvoiced
    periodicity: np.ndarray  # (frames,) normalised autocorrelation peak
    signal: np.ndarray


def analyse(signal: np.ndarray) -> Analysis:
    """Run the STFT, mel and f0 analysis once for all feature blocks."""
    power = power_spectrogram(signal, N_FFT, HOP)
    log_mel = log_power(power @ _MEL.T)
    frame_db = log_power(power.sum(axis=1))
    active = frame_db > frame_db.max() - ACTIVE_RANGE_DB
    f0, periodicity = estimate_f0(power)
    f0 = np.where(active & (periodicity > VOICED_PERIODICITY), f0, np.nan)
    return Analysis(power, log_mel, active, f0, periodicity, signal)


def estimate_f0(power: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame f0 (Hz) and periodicity from the autocorrelation (inverse FFT of power)."""
    autocorr = np.fft.irfft(power, axis=1)
    lo = int(SAMPLE_RATE / F0_RANGE[1])
    hi = int(SAMPLE_RATE / F0_RANGE[0])
    region = autocorr[:, lo:hi] / np.maximum(autocorr[:, :1], 1e-12)
    best = np.argmax(region, axis=1)
    periodicity = region[np.arange(len(best)), best]
    # Parabolic interpolation of the peak for sub-sample lag precision.
    left = region[np.arange(len(best)), np.maximum(best - 1, 0)]
    right = region[np.arange(len(best)), np.minimum(best + 1, region.shape[1] - 1)]
    curvature = left - 2 * periodicity + right
    shift = np.where(curvature < 0, 0.5 * (left - right) / np.where(curvature < 0, curvature, -1), 0)
    lag = lo + best + np.clip(shift, -0.5, 0.5)
    return SAMPLE_RATE / lag, periodicity


def envelope_features(a: Analysis) -> np.ndarray:
    """Smoothed spectral envelope in absolute frequency: the median low-quefrency cepstrum
    (c1..c6 of the log-mel, level removed) over loud frames, and the level of the harmonic
    peaks interpolated onto fixed log-spaced bands (relative to the strongest harmonic),
    which ignores the gaps between harmonics that make a C3 and a C5 spectrum differ."""
    cepstrum = np.median(a.log_mel[a.active] @ _DCT[1:N_SMOOTH_CEPSTRUM + 1].T, axis=0)
    voiced = np.flatnonzero(np.isfinite(a.f0))
    if voiced.size == 0:
        return np.concatenate([cepstrum, np.full(len(ENVELOPE_BANDS), np.nan)])
    f0 = a.f0[voiced]
    levels = harmonic_levels(a.power[voiced], f0, N_ENVELOPE_HARMONICS)
    levels = np.maximum(levels - np.nanmax(levels, axis=1, keepdims=True), -60.0)
    # Linear interpolation between the two harmonics around each band (in log frequency).
    position = np.log2(ENVELOPE_BANDS[None, :] / f0[:, None])   # octaves above f0
    harmonic = 2.0 ** position                                   # fractional harmonic number
    lower = np.clip(np.floor(harmonic).astype(np.int64), 1, N_ENVELOPE_HARMONICS - 1)
    weight = (position - np.log2(lower)) / (np.log2(lower + 1) - np.log2(lower))
    rows = np.arange(voiced.size)[:, None]
    band_levels = (1 - weight) * levels[rows, lower - 1] + weight * levels[rows, lower]
    band_levels[(harmonic < 1) | (harmonic > N_ENVELOPE_HARMONICS)] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # bands below every f0 stay NaN
        return np.concatenate([cepstrum, np.nanmedian(band_levels, axis=0)])


def harmonic_features(a: Analysis) -> np.ndarray:
    """Relative harmonic levels 2..12 (dB), harmonic centroid, odd/even balance,
    log2(centroid / f0) and median periodicity."""
    voiced = np.flatnonzero(np.isfinite(a.f0))
    periodicity = float(np.median(a.periodicity[a.active]))
    if voiced.size == 0:
        return np.concatenate([np.full(N_HARMONICS + 2, np.nan), [periodicity]])
    levels = harmonic_levels(a.power[voiced], a.f0[voiced])
    relative = levels - np.nanmax(levels, axis=1, keepdims=True)
    relative = np.clip(relative, -60.0, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # harmonics above Nyquist stay NaN
        profile = np.nanmedian(relative, axis=0)
    linear = 10 ** (np.nan_to_num(relative, nan=-60.0) / 10)
    k = np.arange(1, N_HARMONICS + 1)
    harmonic_centroid = np.median((linear * k).sum(1) / linear.sum(1))
    odd_even = np.median(10 * np.log10(linear[:, 2::2].sum(1) / linear[:, 1::2].sum(1)))
    centroid = spectral_centroid(a.power[voiced])
    relative_brightness = np.median(np.log2(centroid / a.f0[voiced]))
    return np.concatenate([profile[1:], [harmonic_centroid, odd_even, relative_brightness,
                                         periodicity]])


def harmonic_levels(power: np.ndarray, f0: np.ndarray, n_harmonics: int = 0) -> np.ndarray:
    """``(frames, n_harmonics)`` dB level of the peak near each harmonic of ``f0``
    (default ``N_HARMONICS``); NaN above Nyquist."""
    f0_bins = f0 * N_FFT / SAMPLE_RATE
    k = np.arange(1, (n_harmonics or N_HARMONICS) + 1)
    probes = np.linspace(-0.2, 0.2, 5)
    centres = f0_bins[:, None, None] * (k[None, :, None] + probes[None, None, :])
    index = np.rint(centres).astype(np.int64)
    valid = index[..., -1] < power.shape[1] - 1
    index = np.clip(index, 0, power.shape[1] - 1)
    rows = np.arange(power.shape[0])[:, None, None]
    peak = power[rows, index].max(axis=2)
    return np.where(valid, log_power(peak), np.nan)


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
        "envelope": envelope_features(a),
        "harmonic": harmonic_features(a),
        "shape": shape_features(a),
        "temporal": temporal_features(a),
    }
