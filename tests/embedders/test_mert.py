"""MertEmbedder on tiny random MERT folders built offline: same numbers as a direct transformers
forward pass (last-four-layer mean over time, per window, windows averaged)."""

from __future__ import annotations

import tomllib
from pathlib import Path
import json
import os

import numpy as np
import pytest
import torch

from tiny_models import tone
from timbre.embedders import load_embedder
from timbre.errors import ModelLoadError

SR = 24000
#: HuBERT-shaped like MERT-v1-95M (7 conv layers, strides 5,2,...: 75 frames/s) but tiny.
TINY = dict(hidden_size=16, num_hidden_layers=5, num_attention_heads=2, intermediate_size=32,
            conv_dim=[8] * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
#: What MERT-v1's config.json adds to HuBERT's fields.
MERT_FIELDS = dict(model_type="mert_model", architectures=["MERTModel"], sample_rate=SR,
                   feature_extractor_cqt=False, feature_extractor_cqt_bins=336, deepnorm=False,
                   attention_relax=-1.0,
                   auto_map={"AutoConfig": "configuration_MERT.MERTConfig",
                             "AutoModel": "modeling_MERT.MERTModel"})
#: Remote code as a MERT folder ships it (a HuBERT subclass); written by the tests.
CONFIG_CODE = """from transformers import HubertConfig


class MERTConfig(HubertConfig):
    model_type = "mert_model"

    def __init__(self, feature_extractor_cqt=False, deepnorm=False, **kwargs):
        super().__init__(**kwargs)
        self.feature_extractor_cqt = feature_extractor_cqt
        self.deepnorm = deepnorm
"""
MODEL_CODE = """from transformers import HubertModel
from transformers.modeling_outputs import BaseModelOutput

from .configuration_MERT import MERTConfig


class MERTModel(HubertModel):
    config_class = MERTConfig
{forward}"""
#: A transformers-4 style forward that calls the encoder itself (no hidden states under 5+).
OLD_FORWARD = """
    def forward(self, input_values, output_hidden_states=None, **kwargs):
        features = self.feature_projection(self.feature_extractor(input_values).transpose(1, 2))
        return BaseModelOutput(last_hidden_state=self.encoder(features)[0])
"""


def save_tiny_mert(folder: str, *, seed: int = 0, **overrides) -> None:
    """A random HuBERT saved with MERT-v1's config.json and preprocessor_config.json."""
    from transformers import HubertConfig, HubertModel, Wav2Vec2FeatureExtractor

    torch.manual_seed(seed)
    HubertModel(HubertConfig(**TINY)).eval().save_pretrained(folder)
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as handle:
        config = json.load(handle)
    config.update(MERT_FIELDS, **overrides)
    with open(os.path.join(folder, "config.json"), "w", encoding="utf-8") as handle:
        json.dump(config, handle)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=SR, padding_value=0.0, do_normalize=True,
                             return_attention_mask=True).save_pretrained(folder)


def write_remote_code(folder: str, forward: str = "") -> None:
    with open(os.path.join(folder, "configuration_MERT.py"), "w", encoding="utf-8") as handle:
        handle.write(CONFIG_CODE)
    with open(os.path.join(folder, "modeling_MERT.py"), "w", encoding="utf-8") as handle:
        handle.write(MODEL_CODE.format(forward=forward))


@pytest.fixture(scope="module")
def mert_dir(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("tiny-mert"))
    save_tiny_mert(folder)
    return folder


@pytest.fixture(scope="module")
def isolated_remote_code(tmp_path_factory):
    """trust_remote_code copies the folder's code into a module cache: a temporary one, shared by
    this module's tests (Python keeps the first ``transformers_modules`` package it imports)."""
    import transformers.dynamic_module_utils as dynamic

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dynamic, "HF_MODULES_CACHE", str(tmp_path_factory.mktemp("hf-modules")))
        yield


def direct_forward(model, windows: list[np.ndarray], layers=slice(-4, None)) -> np.ndarray:
    """transformers' own pipeline per window: feature extractor, forward, layer mean, time mean,
    then the windows' unit vectors averaged and normalised."""
    from transformers import Wav2Vec2FeatureExtractor

    extractor = Wav2Vec2FeatureExtractor(sampling_rate=SR, do_normalize=True)
    inputs = extractor(windows, sampling_rate=SR, return_tensors="pt")
    with torch.no_grad():
        hidden = model(inputs["input_values"], output_hidden_states=True).hidden_states
    chosen = hidden[layers] if isinstance(layers, slice) else [hidden[i] for i in layers]
    per_window = torch.stack(chosen).mean(dim=0).mean(dim=1).numpy()
    per_window /= np.linalg.norm(per_window, axis=1, keepdims=True)
    pooled = per_window.mean(axis=0)
    return pooled / np.linalg.norm(pooled)


def hubert(folder: str):
    from transformers import HubertModel

    return HubertModel.from_pretrained(folder, local_files_only=True).eval()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def assert_same(got: np.ndarray, expected: np.ndarray) -> None:
    """cos >= 0.9999 and equal to float precision (a random tiny network maps everything to
    similar directions, so wrong windows or layers still give cos ~0.998: the atol catches them)."""
    assert cosine(got, expected) >= 0.9999
    np.testing.assert_allclose(got, expected, atol=1e-5)


def sweep(seconds: float, seed: int = 0) -> np.ndarray:
    """A rising square-ish sweep with decaying notes and noise bursts: every window differs."""
    t = np.arange(int(seconds * SR)) / SR
    phase = 2 * np.pi * np.cumsum(80 * np.exp(np.log(60) * t / seconds)) / SR
    noise = np.random.default_rng(seed).standard_normal(len(t)) * (np.sin(2 * np.pi * 0.7 * t) > 0.3)
    return (0.4 * np.sign(np.sin(phase)) * np.exp(-2 * (t % 1.3)) + 0.2 * noise).astype(np.float32)


def test_folder_loads_as_hubert_with_the_config_dim_and_rate(mert_dir):
    mert = load_embedder("mert", model=mert_dir)
    assert (mert.sample_rate, mert.dim) == (SR, 16)
    assert type(mert.model).__name__ == "HubertModel" and not mert.remote_code
    assert mert.layer_indices == (2, 3, 4, 5)  # hidden_states[-4:] of 5 layers + the input
    assert mert.spec()["options"] == {"model": mert_dir, "layers": "-4:", "window_s": 5.0, "hop_s": 2.5}


def test_long_clip_is_the_mean_of_5s_windows_of_the_last_four_layers(mert_dir):
    reference = hubert(mert_dir)  # loaded independently of the embedder
    config_path = os.path.join(mert_dir, "config.json")
    assert json.load(open(config_path, encoding="utf-8"))["model_type"] == "mert_model"
    clip = sweep(9.0)
    windows = [clip[0 : 5 * SR], clip[int(2.5 * SR) : int(7.5 * SR)], clip[4 * SR : 9 * SR]]  # last one ends at 9 s
    got = load_embedder("mert", model=mert_dir).embed_audio([clip])[0]
    assert_same(got, direct_forward(reference, windows))
    np.testing.assert_allclose(np.linalg.norm(got), 1.0, atol=1e-5)


def test_short_clip_is_repeat_padded_to_one_window(mert_dir):
    clip = sweep(2.0, seed=1)
    padded = np.concatenate([clip, clip, np.zeros(SR, dtype=np.float32)])  # 2 + 2 + 1 s of silence
    got = load_embedder("mert", model=mert_dir).embed_audio([clip])[0]
    assert_same(got, direct_forward(hubert(mert_dir), [padded]))


def test_layer_set_and_window_length_are_options_that_change_vectors_and_fingerprint(mert_dir):
    clip = sweep(7.0, seed=2)
    default = load_embedder("mert", model=mert_dir)
    last = load_embedder("mert", model=mert_dir, layers="-1")
    middle = load_embedder("mert", model=mert_dir, layers="1,3")
    long = load_embedder("mert", model=mert_dir, window_s=10.0)
    reference = hubert(mert_dir)
    windows = [clip[: 5 * SR], clip[2 * SR :]]  # a 2.5-s hop would pass the end: the last window ends at 7 s
    assert_same(last.embed_audio([clip])[0], direct_forward(reference, windows, slice(-1, None)))
    assert_same(middle.embed_audio([clip])[0], direct_forward(reference, windows, [1, 3]))
    padded = np.concatenate([clip, np.zeros(3 * SR, dtype=np.float32)])  # one 10-s window
    assert_same(long.embed_audio([clip])[0], direct_forward(reference, [padded]))
    prints = {e.fingerprint() for e in (default, last, middle, long)}
    assert len(prints) == 4
    assert default.fingerprint() == load_embedder("mert", model=mert_dir, layers="2:").fingerprint()


def test_vectors_are_deterministic_alone_or_in_a_batch(mert_dir):
    mert = load_embedder("mert", model=mert_dir)
    a, b = tone(1.5, SR), tone(8.0, SR, freq=440.0, seed=3)
    first, again = mert.embed_audio([a, b]), mert.embed_audio([b, a])
    np.testing.assert_allclose(first[0], again[1], atol=1e-6)
    np.testing.assert_allclose(first[1], again[0], atol=1e-6)
    assert mert.embed_audio([]).shape == (0, 16)


def test_fingerprint_tracks_the_weights(mert_dir, tmp_path):
    other = str(tmp_path / "other")
    save_tiny_mert(other, seed=1)
    assert load_embedder("mert", model=other).fingerprint() != load_embedder("mert", model=mert_dir).fingerprint()


def test_registered_with_class_defaults():
    from timbre.embedders import describe_embedders

    row = next(r for r in describe_embedders() if r["name"] == "mert")
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["entry-points"]["timbre.embedders"]["mert"] == row["target"]
    assert (row["sample_rate"], row["dim"], row["text"]) == (SR, 768, False)


@pytest.mark.parametrize("options, message", [
    (dict(layers="7"), "not a valid layer set for a 5-layer model"),
    (dict(layers="banana"), "not a valid layer set"),
    (dict(layers="5:2"), "selects no layer"),
    (dict(window_s=40.0), "window_s=40 is out of range"),
    (dict(hop_s=6.0), "hop_s=6 must be > 0 and at most window_s=5"),
])
def test_bad_options_fail_in_one_line(mert_dir, options, message):
    with pytest.raises(ModelLoadError, match=message) as err:
        load_embedder("mert", model=mert_dir, **options)
    assert "\n" not in str(err.value)


def test_incomplete_folders_fail_in_one_line_saying_what_a_folder_holds(mert_dir, tmp_path):
    import shutil

    cases = {"config.json": "no config.json", "preprocessor_config.json": "no preprocessor_config.json",
             "model.safetensors": "no model weights"}
    for removed, message in cases.items():
        folder = tmp_path / removed
        shutil.copytree(mert_dir, folder)
        os.remove(folder / removed)
        with pytest.raises(ModelLoadError, match=message) as err:
            load_embedder("mert", model=str(folder))
        assert "config.json, preprocessor_config.json and model.safetensors" in str(err.value)
        assert "\n" not in str(err.value)
    with pytest.raises(ModelLoadError, match="no such folder"):
        load_embedder("mert", model=str(tmp_path / "nowhere"))


def test_weights_that_do_not_fit_the_config_fail(mert_dir, tmp_path):
    import shutil

    folder = tmp_path / "deeper"
    shutil.copytree(mert_dir, folder)
    config = json.load(open(folder / "config.json", encoding="utf-8"))
    config["num_hidden_layers"] = 6  # one layer more than the weights hold
    json.dump(config, open(folder / "config.json", "w", encoding="utf-8"))
    with pytest.raises(ModelLoadError, match="lack .* tensors of this network"):
        load_embedder("mert", model=str(folder))


def test_missing_hub_model_offline_fails_at_once():
    with pytest.raises(ModelLoadError, match="MERT model 'm-a-p/MERT-v1-95M' is not available"):
        load_embedder("mert")


def test_variant_needing_remote_code_fails_without_the_code_files(tmp_path):
    folder = str(tmp_path / "cqt")
    save_tiny_mert(folder, feature_extractor_cqt=True)
    with pytest.raises(ModelLoadError, match="needs its remote code but configuration_MERT.py, modeling_MERT.py"):
        load_embedder("mert", model=folder)


def test_variant_needing_remote_code_runs_the_folders_code(tmp_path, isolated_remote_code):
    from transformers import AutoModel

    folder = str(tmp_path / "deepnorm")
    save_tiny_mert(folder, deepnorm=True, seed=4)
    write_remote_code(folder)
    mert = load_embedder("mert", model=folder)
    assert mert.remote_code and type(mert.model).__name__ == "MERTModel"
    reference = AutoModel.from_pretrained(folder, trust_remote_code=True, local_files_only=True).eval()
    clip = sweep(3.0)
    padded = np.concatenate([clip, np.zeros(2 * SR, dtype=np.float32)])
    assert_same(mert.embed_audio([clip])[0], direct_forward(reference, [padded]))
    assert mert.spec()["fingerprint"] != load_embedder("mert", model=folder, layers="-1").fingerprint()


def test_remote_code_without_hidden_states_fails_in_one_line(tmp_path, isolated_remote_code):
    folder = str(tmp_path / "old-code")
    save_tiny_mert(folder, deepnorm=True)
    write_remote_code(folder, OLD_FORWARD)
    with pytest.raises(ModelLoadError, match="returns no hidden states under transformers"):
        load_embedder("mert", model=folder)
