"""PannEmbedder on a small random CNN14 saved in the official checkpoint layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tiny_models import save_tiny_cnn14, tone
from timbre.embedders import load_embedder
from timbre.embedders.cnn14 import Cnn14, Cnn14Config, slaney_mel_filters
from timbre.embedders.windows import repeat_pad
from timbre.errors import ModelLoadError

SR = 32000
#: Names from the official Cnn14_mAP=0.431.pth (front end included).
OFFICIAL_KEYS = [
    "spectrogram_extractor.stft.conv_real.weight",
    "spectrogram_extractor.stft.conv_imag.weight",
    "logmel_extractor.melW",
    "bn0.running_mean",
    "conv_block1.conv1.weight",
    "conv_block1.bn1.num_batches_tracked",
    "conv_block6.conv2.weight",
    "conv_block6.bn2.running_var",
    "fc1.weight",
    "fc_audioset.bias",
]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("pann") / "Cnn14_mAP=0.431.pth")
    return path, save_tiny_cnn14(path)


def test_official_layout_loads_and_embeds_with_the_checkpoint_dim(checkpoint):
    path, network = checkpoint
    pann = load_embedder("pann", model=path)
    assert (pann.sample_rate, pann.dim) == (SR, 32)
    clip = tone(3.0, SR)
    with torch.no_grad():
        expected = network(torch.from_numpy(repeat_pad(clip, 10 * SR))[None])["embedding"][0].numpy()
    got = pann.embed_audio([clip, tone(14.0, SR, freq=440.0)])
    assert got.shape == (2, 32)
    np.testing.assert_allclose(got[0], expected / np.linalg.norm(expected), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_vectors_are_deterministic_and_fingerprint_tracks_weights(checkpoint, tmp_path):
    path, _ = checkpoint
    clip = tone(12.5, SR, freq=97.0, seed=2)
    first, second = load_embedder("pann", model=path), load_embedder("pann", model=path)
    np.testing.assert_array_equal(first.embed_audio([clip]), second.embed_audio([clip]))
    assert first.fingerprint() == second.fingerprint()
    other = str(tmp_path / "other.pth")
    save_tiny_cnn14(other, seed=1)
    assert load_embedder("pann", model=other).fingerprint() != first.fingerprint()


def test_module_names_match_the_official_checkpoint():
    names = set(Cnn14(Cnn14Config(widths=(2, 2, 2, 2, 2, 4))).state_dict())
    assert set(OFFICIAL_KEYS) <= names
    assert Cnn14Config().embedding_dim == 2048


def test_front_end_equals_a_reference_stft_and_librosa_mel():
    from transformers.audio_utils import mel_filter_bank

    network = Cnn14(Cnn14Config(widths=(2, 2, 2, 2, 2, 4))).eval()
    wave = torch.from_numpy(tone(0.5, SR))[None]
    power = network.spectrogram_extractor(wave)[0, 0]
    window = torch.hann_window(1024, periodic=True, dtype=torch.float64)
    reference = torch.stft(wave.double(), 1024, 320, window=window, center=True, pad_mode="reflect",
                           return_complex=True).abs().pow(2)[0].T
    np.testing.assert_allclose(power.double().numpy(), reference.numpy(), rtol=1e-3, atol=1e-3)
    librosa_like = mel_filter_bank(513, 64, 50.0, 14000.0, SR, norm="slaney", mel_scale="slaney")
    np.testing.assert_allclose(slaney_mel_filters(SR, 1024, 64, 50.0, 14000.0).T, librosa_like, atol=1e-6)


def test_missing_or_wrong_checkpoint_fails_with_what_to_pass(tmp_path):
    with pytest.raises(ModelLoadError, match="needs its weights: pass --model"):
        load_embedder("pann")
    with pytest.raises(ModelLoadError, match="checkpoint not found"):
        load_embedder("pann", model=str(tmp_path / "Cnn14.pth"))
    wrong = str(tmp_path / "wrong.pth")
    torch.save({"model": {"encoder.weight": torch.zeros(1)}}, wrong)
    with pytest.raises(ModelLoadError, match="no CNN14 weights"):
        load_embedder("pann", model=wrong)
