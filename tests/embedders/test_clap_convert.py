"""A LAION-layout CLAP checkpoint converts to the identical transformers model."""

from __future__ import annotations

import io
import json
import os
import re
import zipfile

import numpy as np
import pytest
import torch

from tiny_models import save_tiny_clap, tone
from timbre.embedders import load_embedder
from timbre.embedders.clap_convert import SOURCE_MARKER, convert_laion_checkpoint, converted_folder
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
    state["text_branch.embeddings.position_ids"] = torch.arange(40).expand((1, -1))
    return {"epoch": 15, "name": "music_audioset", "state_dict": {f"module.{k}": v for k, v in state.items()},
            **training_state(model)}


def training_state(model) -> dict:
    """What LAION's training/main.py saves besides the weights: AdamW state whose learning
    rate its cosine schedule set to a numpy float64, and the AMP grad scaler."""
    params = [p.detach().clone().requires_grad_() for p in model.parameters()]  # the model stays as is
    optimizer = torch.optim.AdamW([{"params": params[:3], "weight_decay": 0.0},
                                   {"params": params[3:], "weight_decay": 0.2}], lr=1e-4)
    params[0].grad = torch.ones_like(params[0])
    optimizer.step()
    for group in optimizer.param_groups:
        group["lr"] = 0.5 * (1 + np.cos(np.pi * 42 / 100)) * 1e-4
    assert isinstance(optimizer.param_groups[0]["lr"], np.float64)
    scaler = {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000,
              "_growth_tracker": 17}
    return {"optimizer": optimizer.state_dict(), "scaler": scaler}


def as_numpy1_pickle(path: str) -> None:
    """Rewrite a torch checkpoint as numpy 1.x pickles it (``numpy.core`` instead of ``numpy._core``),
    which is how the published LAION checkpoints were written."""
    with zipfile.ZipFile(path) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for info, data in entries:
            if info.filename.endswith("data.pkl"):
                assert b"numpy._core.multiarray\nscalar" in data
                data = data.replace(b"numpy._core.multiarray\nscalar", b"numpy.core.multiarray\nscalar")
            archive.writestr(info, data)
    with open(path, "wb") as handle:
        handle.write(buffer.getvalue())


@pytest.fixture(scope="module")
def tiny_model_and_pt(tmp_path_factory):
    root = tmp_path_factory.mktemp("laion")
    model = save_tiny_clap(str(root / "hf"))
    pt_path = str(root / "music_audioset_epoch_15_esc_90.14.pt")
    torch.save(laion_checkpoint(model), pt_path)
    return model, pt_path


def test_training_checkpoint_with_numpy_lr_loads_safely(tiny_model_and_pt, tmp_path):
    """LAION's files hold optimizer state with numpy float64 learning rates (pickled by numpy 1)."""
    model, _ = tiny_model_and_pt
    path = str(tmp_path / "630k-audioset-best.pt")
    torch.save(laion_checkpoint(model), path)
    as_numpy1_pickle(path)
    with pytest.raises(Exception):
        torch.load(path, weights_only=True)  # plain safe loading refuses these files
    out = convert_laion_checkpoint(path, str(tmp_path / "converted"))
    from transformers import ClapModel

    converted = ClapModel.from_pretrained(out).state_dict()
    assert all(torch.equal(converted[k], v) for k, v in model.state_dict().items())


class Payload:
    """Stands for any object a checkpoint could smuggle in; unpickling it would write a file."""

    def __init__(self, path: str):
        self.path = path

    def __setstate__(self, state):
        open(state["path"], "w").close()


def test_checkpoint_holding_other_objects_is_refused_without_unpickling_them(tiny_model_and_pt, tmp_path):
    model, _ = tiny_model_and_pt
    checkpoint = laion_checkpoint(model)
    witness = tmp_path / "unpickled"
    checkpoint["args"] = Payload(str(witness))
    path = str(tmp_path / "epoch_3.pt")
    torch.save(checkpoint, path)
    with pytest.raises(ModelLoadError, match=r"holds a pickled Python object \(.*Payload\)") as err:
        load_embedder("clap", model=path)
    assert "\n" not in str(err.value)
    assert not witness.exists()


def test_converted_folder_has_laions_mel_settings(tiny_model_and_pt, tmp_path):
    """LAION (and the hub's preprocessor configs) use a 50-Hz floor; the default extractor has 0 Hz."""
    from transformers import ClapFeatureExtractor

    _, pt_path = tiny_model_and_pt
    out = convert_laion_checkpoint(pt_path, str(tmp_path / "converted"))
    extractor = ClapFeatureExtractor.from_pretrained(out)
    assert (extractor.frequency_min, extractor.frequency_max, extractor.truncation) == (50, 14000, "rand_trunc")
    with open(os.path.join(out, SOURCE_MARKER)) as handle:
        marker = json.load(handle)
    assert marker["converter_version"] >= 2
    assert marker["features"]["frequency_min"] == 50 and marker["features"]["mel_scale"] == "slaney"


def test_conversion_of_an_older_converter_is_redone(tiny_model_and_pt):
    _, pt_path = tiny_model_and_pt
    folder = converted_folder(pt_path)
    marker_path = os.path.join(folder, SOURCE_MARKER)
    with open(marker_path) as handle:
        marker = json.load(handle)
    del marker["converter_version"]  # as the first converter wrote it (with a 0-Hz mel floor)
    marker.pop("features")
    with open(marker_path, "w") as handle:
        json.dump(marker, handle)
    with open(os.path.join(folder, "preprocessor_config.json")) as handle:
        stale = json.load(handle)
    stale["frequency_min"] = 0
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as handle:
        json.dump(stale, handle)
    assert converted_folder(pt_path) == folder
    with open(os.path.join(folder, "preprocessor_config.json")) as handle:
        assert json.load(handle)["frequency_min"] == 50
    with open(marker_path) as handle:
        assert "converter_version" in json.load(handle)


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
