"""A LAION-layout CLAP checkpoint converts to the identical transformers model."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
import torch

from tiny_models import save_tiny_clap, tone
from timbre.embedders import load_embedder
from timbre.embedders.clap_convert import convert_laion_checkpoint, converted_folder
from timbre.errors import ModelLoadError

#: transformers name -> LAION name, written from laion_clap's module names (HTSAT + RoBERTa).
AUDIO_BLOCK_NAMES = [
    ("layernorm_before", "norm1"),
    ("layernorm_after", "norm2"),
    ("attention.output.dense", "attn.proj"),
    ("attention.self.", "attn."),
    ("intermediate.dense", "mlp.fc1"),
    ("output.dense", "mlp.fc2"),
]


def laion_key(hf_key: str) -> str:
    key = hf_key.replace("text_model.", "text_branch.").replace("audio_model.audio_encoder.", "audio_branch.")
    key = re.sub(r"_projection\.linear1\.", "_projection.0.", key)
    key = re.sub(r"_projection\.linear2\.", "_projection.2.", key)
    key = key.replace("audio_branch.batch_norm.", "audio_branch.bn0.")
    if ".blocks." in key:
        for hf_name, laion_name in AUDIO_BLOCK_NAMES:
            if hf_name in key:
                return key.replace(hf_name, laion_name)
    return key


def laion_checkpoint(model) -> dict:
    """The model's weights as LAION saves them: DDP prefix, fused qkv, extra LAION-only tensors."""
    state: dict[str, torch.Tensor] = {}
    hf_state = model.state_dict()
    for key, value in hf_state.items():
        is_audio = key.startswith("audio_model")
        if is_audio and (".attention.self.key." in key or ".attention.self.value." in key):
            continue
        if is_audio and ".attention.self.query." in key:
            parts = [hf_state[key.replace(".query.", f".{n}.")] for n in ("query", "key", "value")]
            state[laion_key(key).replace("attn.query.", "attn.qkv.")] = torch.cat(parts)
            continue
        state[laion_key(key)] = value.clone()
    extras = {
        "audio_branch.spectrogram_extractor.stft.conv_real.weight": torch.zeros(513, 1, 1024),
        "audio_branch.logmel_extractor.melW": torch.zeros(513, 64),
        "audio_branch.tscam_conv.weight": torch.zeros(527, 64, 2, 3),
        "audio_branch.head.weight": torch.zeros(527, 64),
        "audio_branch.layers.0.blocks.0.attn_mask": torch.zeros(4, 64, 64),
        "text_transform.sequential.0.weight": torch.zeros(8, 8),
        "audio_transform.sequential.3.weight": torch.zeros(8, 8),
    }
    state.update(extras)
    return {"epoch": 15, "state_dict": {f"module.{k}": v for k, v in state.items()}}


@pytest.fixture(scope="module")
def tiny_model_and_pt(tmp_path_factory):
    root = tmp_path_factory.mktemp("laion")
    model = save_tiny_clap(str(root / "hf"))
    pt_path = str(root / "music_audioset_epoch_15_esc_90.14.pt")
    torch.save(laion_checkpoint(model), pt_path)
    return model, pt_path


def test_conversion_restores_every_weight(tiny_model_and_pt, tmp_path):
    from transformers import ClapModel

    model, pt_path = tiny_model_and_pt
    out = convert_laion_checkpoint(pt_path, str(tmp_path / "converted"))
    converted = ClapModel.from_pretrained(out).state_dict()
    original = model.state_dict()
    assert set(converted) == set(original)
    for key, value in original.items():
        assert torch.equal(converted[key], value), key


def test_pt_checkpoint_loads_through_the_embedder_with_identical_audio_vectors(tiny_model_and_pt, tmp_path):
    model, pt_path = tiny_model_and_pt
    reference = load_embedder("clap", model=os.path.join(os.path.dirname(pt_path), "hf"))
    from_pt = load_embedder("clap", model=pt_path)
    clip = tone(4.0, 48000)
    np.testing.assert_allclose(from_pt.embed_audio([clip]), reference.embed_audio([clip]), atol=1e-6)
    assert from_pt.folder.endswith("music_audioset_epoch_15_esc_90.14.hf")
    with pytest.raises(ModelLoadError, match="no tokenizer files"):
        from_pt.embed_text(["pad"])  # a .pt has no tokenizer


def test_converted_folder_is_reused_until_the_checkpoint_changes(tiny_model_and_pt):
    _, pt_path = tiny_model_and_pt
    first = converted_folder(pt_path)
    stamp = os.stat(os.path.join(first, "model.safetensors")).st_mtime_ns
    assert converted_folder(pt_path) == first
    assert os.stat(os.path.join(first, "model.safetensors")).st_mtime_ns == stamp


def test_non_clap_checkpoint_is_refused(tmp_path):
    bogus = str(tmp_path / "other.pt")
    torch.save({"state_dict": {"encoder.weight": torch.zeros(2, 2)}}, bogus)
    with pytest.raises(ModelLoadError, match="no LAION-CLAP 'audio_branch' weights"):
        load_embedder("clap", model=bogus)


def test_checkpoint_missing_weights_is_refused(tiny_model_and_pt, tmp_path):
    model, _ = tiny_model_and_pt
    checkpoint = laion_checkpoint(model)
    del checkpoint["state_dict"]["module.audio_branch.norm.weight"]
    broken = str(tmp_path / "broken.pt")
    torch.save(checkpoint, broken)
    with pytest.raises(ModelLoadError, match="lacks 1 weights"):
        convert_laion_checkpoint(broken, str(tmp_path / "out"))
