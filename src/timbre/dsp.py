"""Small pure-numpy signal helpers shared by the weights-free embedders: framing, STFT,
mel filterbank and DCT. Everything here is deterministic and allocation-light."""

from __future__ import annotations

import numpy as np


def pad_to_length(signal: np.ndarray, length: int) -> np.ndarray:
    """Zero-pad ``signal`` at the end to at least ``length`` samples."""
    signal = np.asarray(signal, dtype=np.float32).reshape(-1)
    if signal.size >= length:
        return signal
    return np.concatenate([signal, np.zeros(length - signal.size, dtype=np.float32)])


def frame_signal(signal: np.ndarray, frame_length: int, hop: int) -> np.ndarray:
    """``(n_frames, frame_length)`` strided view of ``signal`` (padded so at least one frame)."""
    signal = pad_to_length(signal, frame_length)
    n_frames = 1 + (signal.size - frame_length) // hop
    return np.lib.stride_tricks.sliding_window_view(signal, frame_length)[::hop][:n_frames]


def power_spectrogram(signal: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Hann-windowed power spectrogram, ``(n_frames, n_fft // 2 + 1)`` float32."""
    frames = frame_signal(signal, n_fft, hop)
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    spectrum = np.fft.rfft(frames * window, axis=1)
    return (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float32)


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int,
                   fmin: float = 30.0, fmax: float | None = None) -> np.ndarray:
    """Triangular, area-normalised mel filters, ``(n_mels, n_fft // 2 + 1)`` float32."""
    fmax = sample_rate / 2 if fmax is None else fmax
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (upper - lower))
    return weights.astype(np.float32)


def dct_matrix(n_inputs: int, n_outputs: int) -> np.ndarray:
    """Orthonormal DCT-II basis, ``(n_outputs, n_inputs)`` float32 (row 0 is the mean)."""
    k = np.arange(n_outputs)[:, None]
    n = np.arange(n_inputs)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_inputs)) * np.sqrt(2.0 / n_inputs)
    basis[0] /= np.sqrt(2.0)
    return basis.astype(np.float32)


def log_power(power: np.ndarray, floor_db: float = -100.0) -> np.ndarray:
    """``10 log10(power)`` with a floor, float32."""
    return (10.0 * np.log10(np.maximum(power, 10 ** (floor_db / 10)))).astype(np.float32)
