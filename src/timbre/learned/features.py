"""Log-mel frames, the learned embedder's input, and cutting them to the length it trains on."""

from __future__ import annotations

import functools

import numpy as np

SAMPLE_RATE = 22050
N_FFT, HOP, N_MELS = 1024, 512, 64
#: Frames (1.5 s) a clip is cut to in training; longer audio is embedded as windows of this length.
CROP = 64
#: log10 power that pads short clips (silence).
SILENT_LOG = -6.0


def feature_spec() -> dict:
    """What makes the features: stored in a model folder and part of the embedder's fingerprint."""
    return {"sample_rate": SAMPLE_RATE, "n_fft": N_FFT, "hop": HOP, "n_mels": N_MELS, "crop": CROP,
            "silent_log": SILENT_LOG}


def log_mel(audio: np.ndarray) -> np.ndarray:
    """``(frames, N_MELS)`` float16 log10 mel power of mono ``audio`` at ``SAMPLE_RATE``."""
    from timbre.dsp import power_spectrogram

    power = power_spectrogram(np.asarray(audio, np.float32), N_FFT, HOP) @ _mel_bank().T
    return np.log10(power + 1e-6).astype(np.float16)


@functools.lru_cache(maxsize=1)
def _mel_bank() -> np.ndarray:
    from timbre.dsp import mel_filterbank

    return mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS)


def fit_length(features: np.ndarray, frames: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """``features`` padded with silence or cut to ``frames`` (at random with ``rng``, else from the start)."""
    features = np.asarray(features, np.float32)
    if len(features) < frames:
        features = np.pad(features, ((0, frames - len(features)), (0, 0)), constant_values=SILENT_LOG)
    start = 0 if rng is None else int(rng.integers(0, len(features) - frames + 1))
    return features[start:start + frames]


def windows(features: np.ndarray) -> np.ndarray:
    """``(n, CROP, N_MELS)`` float32: ``features`` cut into windows of ``CROP`` frames, half a window
    apart, the last one padded with silence. Windows that are silence all through are left out
    (a one-shot's tail, a loop's rests), unless every window is."""
    features = np.asarray(features, np.float32)
    starts = range(0, max(1, len(features) - CROP // 2), CROP // 2)
    cut = np.stack([fit_length(features[start:start + CROP], CROP) for start in starts])
    heard = cut.max(axis=(1, 2)) > SILENT_LOG + 1.0
    return cut[heard] if heard.any() else cut[:1]
