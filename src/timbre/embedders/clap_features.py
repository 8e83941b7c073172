"""CLAP's log-mel input, vectorised in float32 torch on the model's device.

The numbers are those of transformers' ``ClapFeatureExtractor`` (and of LAION's own code) for
exact 10-s windows: a periodic Hann STFT (1024 / hop 480, centred, reflect-padded), power,
a mel filterbank, ``10 * log10(max(x, 1e-10))``. LAION uses two mel scales: the unfused
models' HTSAT front end is librosa's (Slaney scale, Slaney-normalised filters), the fused
models' ``get_mel`` is torchaudio's (HTK scale, unnormalised filters); transformers picks
the same pair through ``truncation``. All LAION checkpoints use 50 Hz - 14 kHz.

The extractor's own loop runs frame by frame in float64 numpy (30+ ms a window); this is one
batched ``torch.stft`` and a matmul, so features never stall the model. The FFT runs in
float64 where the device has it (a float32 FFT is off by up to 3e-4 dB in bands 70 dB below
a frame's peak); power, filterbank and log run in float32.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

#: LAION's audio_cfg (HTSAT-tiny and -base) and the hub's preprocessor configs.
LAION_FEATURES: dict[str, Any] = {
    "sampling_rate": 48000,
    "feature_size": 64,
    "fft_window_size": 1024,
    "hop_length": 480,
    "frequency_min": 50.0,
    "frequency_max": 14000.0,
    "max_length_s": 10,
    "top_db": None,
}
#: Bump when the computation below changes (it is part of every CLAP fingerprint).
FEATURES_VERSION = 2
PREPROCESSOR_CONFIG = "preprocessor_config.json"


def feature_settings(folder: str, fusion: bool) -> dict[str, Any]:
    """The mel settings for a CLAP folder: its ``preprocessor_config.json`` over LAION's
    defaults (a folder without one, as transformers' conversion script leaves it, gets
    LAION's), and the mel scale of the layout (fused: HTK, unfused: Slaney)."""
    settings = dict(LAION_FEATURES)
    path = os.path.join(folder, PREPROCESSOR_CONFIG)
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as handle:
            stored = json.load(handle)
        settings.update({k: stored[k] for k in LAION_FEATURES if k in stored})
    for key in ("frequency_min", "frequency_max"):  # 50 and 50.0 are the same setting
        settings[key] = float(settings[key])
    settings["mel_scale"] = "htk" if fusion else "slaney"
    settings["features_version"] = FEATURES_VERSION
    return settings


def extractor_kwargs(settings: dict[str, Any], fusion: bool) -> dict[str, Any]:
    """``ClapFeatureExtractor(**kwargs)`` computing the same features (used by the converter)."""
    kwargs = {k: settings[k] for k in LAION_FEATURES}
    return {**kwargs, "truncation": "fusion" if fusion else "rand_trunc", "padding": "repeatpad"}


def mel_filters(settings: dict[str, Any]) -> np.ndarray:
    """``(n_freq, n_mels)`` filterbank, built by transformers' own ``mel_filter_bank``."""
    from transformers.audio_utils import mel_filter_bank

    slaney = settings["mel_scale"] == "slaney"
    return mel_filter_bank(
        num_frequency_bins=settings["fft_window_size"] // 2 + 1,
        num_mel_filters=settings["feature_size"],
        min_frequency=settings["frequency_min"],
        max_frequency=settings["frequency_max"],
        sampling_rate=settings["sampling_rate"],
        norm="slaney" if slaney else None,
        mel_scale="slaney" if slaney else "htk",
    )


class LogMel:
    """Batched log-mel features of equal-length windows, on ``device``, float32.

    ``__call__((b, samples) float32 tensor) -> (b, channels, frames, mels)``, with the mel
    repeated 4 times for fused models (their input for clips that are not "longer")."""

    def __init__(self, settings: dict[str, Any], fusion: bool, device: str = "cpu"):
        import torch

        self.settings = settings
        self.channels = 4 if fusion else 1
        self.n_fft = int(settings["fft_window_size"])
        self.hop = int(settings["hop_length"])
        self.top_db = settings.get("top_db")
        self.fft_dtype = torch.float32 if str(device).startswith("mps") else torch.float64
        self.window = torch.hann_window(self.n_fft, periodic=True, dtype=self.fft_dtype, device=device)
        self.filters = torch.from_numpy(mel_filters(settings).astype(np.float32)).to(device)

    def __call__(self, windows) -> Any:
        import torch

        spec = torch.stft(windows.to(self.fft_dtype), self.n_fft, self.hop, window=self.window, center=True,
                          pad_mode="reflect", return_complex=True)
        power = (spec.real.square() + spec.imag.square()).float()  # (b, freq, frames)
        # Features stay float32 under --half's autocast: only the model runs in half precision.
        with torch.autocast(device_type=self.window.device.type, enabled=False):
            mel = torch.matmul(power.transpose(1, 2), self.filters)  # (b, frames, mels)
        log_mel = 10.0 * torch.log10(mel.clamp_min(1e-10))
        if self.top_db is not None:  # transformers: over the whole window
            floor = log_mel.amax(dim=(1, 2), keepdim=True) - float(self.top_db)
            log_mel = torch.maximum(log_mel, floor)
        return log_mel.unsqueeze(1).expand(-1, self.channels, -1, -1)
