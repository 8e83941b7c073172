"""CLAP's float32 torch log-mel equals transformers' ClapFeatureExtractor (both mel scales)."""

from __future__ import annotations

import numpy as np
import pytest

from tiny_models import tone
from timbre.embedders.clap_features import LAION_FEATURES, LogMel, extractor_kwargs, feature_settings
from timbre.embedders.windows import WindowSpec, split_windows

SR = 48000


def _windows() -> np.ndarray:
    rng = np.random.default_rng(5)
    clips = [
        tone(3.0, SR, freq=55.0),  # repeat-padded, with a second of digital silence
        tone(10.0, SR, freq=440.0, seed=1),
        (0.5 * rng.standard_normal(SR * 10)).astype(np.float32),  # broadband
        np.concatenate([np.zeros(SR * 4), 1e-4 * tone(6.0, SR, freq=3000.0)]).astype(np.float32),  # quiet
    ]
    spec = WindowSpec(SR)
    return np.stack([split_windows(clip, spec)[0] for clip in clips])


@pytest.mark.parametrize("fusion", [False, True], ids=["unfused-slaney", "fused-htk"])
def test_log_mel_equals_transformers_extractor(tmp_path, fusion):
    import torch
    from transformers import ClapFeatureExtractor

    settings = feature_settings(str(tmp_path), fusion)  # no preprocessor config: LAION's settings
    assert settings["frequency_min"] == 50 and settings["mel_scale"] == ("htk" if fusion else "slaney")
    windows = _windows()
    extractor = ClapFeatureExtractor(**extractor_kwargs(settings, fusion))
    expected = extractor(list(windows.astype(np.float64)), sampling_rate=SR,
                         return_tensors="np")["input_features"]
    got = LogMel(settings, fusion)(torch.from_numpy(windows)).numpy()
    assert got.shape == expected.shape == (4, 4 if fusion else 1, 1001, 64)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


def test_features_stay_float32_under_half_precision_autocast(tmp_path):
    """--half runs the model under bfloat16 autocast; the log-mel input must not change with it."""
    import torch

    log_mel = LogMel(feature_settings(str(tmp_path), False), False)
    windows = torch.from_numpy(_windows())
    expected = log_mel(windows)
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        got = log_mel(windows)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, expected, atol=0, rtol=0)


def test_folder_settings_override_laions(tmp_path):
    from transformers import ClapFeatureExtractor

    ClapFeatureExtractor(frequency_min=20, frequency_max=16000).save_pretrained(str(tmp_path))
    settings = feature_settings(str(tmp_path), fusion=False)
    assert (settings["frequency_min"], settings["frequency_max"]) == (20, 16000)
    assert settings["hop_length"] == LAION_FEATURES["hop_length"]
