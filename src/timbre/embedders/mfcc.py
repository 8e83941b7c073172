"""The honest baseline: per-file mean and std of 20 MFCCs (40-band log-mel, 22.05 kHz)."""

from __future__ import annotations

from typing import Any

import numpy as np

from timbre.dsp import dct_matrix, log_power, mel_filterbank, power_spectrogram
from timbre.embedders.base import ClipEmbedder

VERSION = "mfcc-1"
SAMPLE_RATE = 22050
N_FFT = 2048
HOP = 512
N_MELS = 40
N_MFCC = 20

# Per-dimension centre/scale (mean MFCCs then std MFCCs): median and IQR/1.349 over the toy
# synth set of benchmarks/tune_spectral.py (seed 0), so c0 does not swamp the cosine.
MFCC_CENTER = np.array([
    -162.6, 89.76, -6.5, 1.344, -2.064, -2.358, -2.315, -1.991, -1.252, 0.6064,
    0.1904, 0.872, 0.4838, 0.5853, -0.2047, -0.07482, -0.1529, -0.2651, -0.7358, -1.314,
    57.85, 16, 9.721, 6.18, 5.718, 5.726, 5.358, 4.812, 4.863, 4.639,
    4.287, 3.995, 4.433, 3.716, 3.754, 3.453, 3.154, 2.856, 2.909, 3.24,
], dtype=np.float32)
MFCC_SCALE = np.array([
    86.41, 51.02, 34.12, 20.89, 14.33, 12.32, 13.63, 11.3, 9.433, 7.838,
    5.797, 5.355, 5.978, 5.469, 3.851, 3.517, 3.657, 3.161, 1.558, 3.888,
    31.25, 10.25, 6.975, 3.795, 4.267, 3.491, 3.177, 4.234, 4.022, 6.062,
    5.742, 5.809, 5.836, 5.808, 6.321, 6.298, 5.865, 5.688, 6.11, 5.074,
], dtype=np.float32)


class MfccEmbedder(ClipEmbedder):
    """MFCC mean+std (40-d), standardised by fixed constants, L2-normalised; compare by cosine."""

    name = "mfcc"
    parallel_safe = True
    view_textures = ("note", "chord", "arp")
    batch_size = 64

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.sample_rate = SAMPLE_RATE
        self.dim = 2 * N_MFCC
        self._mel = mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS)
        self._dct = dct_matrix(N_MELS, N_MFCC)

    def mfcc_frames(self, signal: np.ndarray) -> np.ndarray:
        """``(n_frames, 20)`` MFCCs of one clip (brought to a fixed RMS first, so the dB floor
        does not depend on the input gain)."""
        signal = np.asarray(signal, dtype=np.float32).reshape(-1)
        signal = signal * (0.1 / max(float(np.sqrt(np.mean(signal ** 2))), 1e-9))
        power = power_spectrogram(signal, N_FFT, HOP)
        return log_power(power @ self._mel.T) @ self._dct.T

    def embed_one(self, signal: np.ndarray) -> np.ndarray:
        """Standardised ``[mean, std]`` of the clip's MFCCs (not yet normalised)."""
        coefficients = self.mfcc_frames(signal)
        stats = np.concatenate([coefficients.mean(axis=0), coefficients.std(axis=0)])
        return (stats - MFCC_CENTER) / MFCC_SCALE

    def fingerprint_parts(self) -> dict[str, Any]:
        return {
            "version": VERSION, "sample_rate": SAMPLE_RATE, "n_fft": N_FFT, "hop": HOP,
            "n_mels": N_MELS, "n_mfcc": N_MFCC,
        }
