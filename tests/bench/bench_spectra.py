"""Simple measures of rendered benchmark audio shared by the bench tests: spectral envelope and pitch."""

import numpy as np


def mel_cepstrum(audio: np.ndarray, sr: int = 44100, n_bands: int = 40, n_coefficients: int = 12) -> np.ndarray:
    """Cepstrum (c1..c12) of the mean log-mel spectrum over non-silent frames: a smooth spectral envelope."""
    frames = np.lib.stride_tricks.sliding_window_view(audio, 2048)[::1024] * np.hanning(2048)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(2048, 1 / sr)
    mel = 2595 * np.log10(1 + freqs / 700)
    centres = np.interp(np.linspace(mel[1], 2595 * np.log10(1 + 12000 / 700), n_bands + 2), mel, freqs)
    low, mid, high = centres[:-2, None], centres[1:-1, None], centres[2:, None]
    filterbank = np.maximum(0, np.minimum((freqs - low) / (mid - low), (high - freqs) / (high - mid)))
    energy = power.sum(axis=1)
    log_mel = np.log(power[energy > 1e-3 * energy.max()] @ filterbank.T + 1e-10).mean(axis=0)
    k = np.arange(n_bands)
    dct = np.cos(np.pi / n_bands * (k[None, :] + 0.5) * np.arange(1, n_coefficients + 1)[:, None])
    return dct @ log_mel


def fundamental_hz(audio: np.ndarray, sr: int, low_hz: float = 40.0, high_hz: float = 1500.0) -> float:
    """Autocorrelation pitch: the shortest lag whose peak reaches 85 % of the highest in range."""
    x = audio - np.mean(audio)
    ac = np.fft.irfft(np.abs(np.fft.rfft(x, 2 * len(x))) ** 2)[: len(x)]
    first, last = int(sr / high_hz), int(sr / low_hz)
    window = ac[first:last]
    peaks = np.flatnonzero((window[1:-1] >= window[:-2]) & (window[1:-1] >= window[2:])
                           & (window[1:-1] > 0.85 * window.max())) + 1
    lag = first + int(peaks[0])
    before, at, after = ac[lag - 1:lag + 2]
    return sr / (lag + 0.5 * (before - after) / (before - 2 * at + after))  # parabolic refinement
