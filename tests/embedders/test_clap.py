"""ClapEmbedder on a tiny random CLAP saved like a hub checkpoint: same numbers as transformers."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from tiny_models import build_tokenizer, save_tiny_clap, tone
from timbre.embedders import load_embedder
from timbre.embedders.windows import WindowSpec, split_windows
from timbre.errors import ModelLoadError

SR = 48000


def _reference_audio(folder: str, windows: list[np.ndarray]) -> np.ndarray:
    """transformers' own pipeline: feature extractor + get_audio_features, per window."""
    import torch
    from transformers import ClapFeatureExtractor, ClapModel

    model = ClapModel.from_pretrained(folder).eval()
    extractor = ClapFeatureExtractor.from_pretrained(folder)
    inputs = extractor([w.astype(np.float64) for w in windows], sampling_rate=SR, return_tensors="pt")
    with torch.no_grad():
        out = model.get_audio_features(**inputs)
    out = out if isinstance(out, torch.Tensor) else out.pooler_output
    return torch.nn.functional.normalize(out, dim=-1).numpy()


@pytest.fixture(scope="module")
def embedder(tiny_clap_dir):
    return load_embedder("clap", model=tiny_clap_dir)


def test_short_clip_matches_transformers_get_audio_features(embedder, tiny_clap_dir):
    clip = tone(3.0, SR)
    expected = _reference_audio(tiny_clap_dir, [clip])  # repeatpad to 10 s, as the extractor does
    got = embedder.embed_audio([clip])
    assert got.shape == (1, embedder.dim) == (1, 8)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_long_clip_is_the_normalised_mean_of_its_windows(embedder, tiny_clap_dir):
    clip = tone(17.0, SR, freq=330.0)
    windows = split_windows(clip, WindowSpec(SR))
    assert len(windows) == 3  # 0-10 s, 5-15 s, 7-17 s (last window aligned to the end)
    per_window = _reference_audio(tiny_clap_dir, windows)
    pooled = per_window.mean(axis=0)
    np.testing.assert_allclose(embedder.embed_audio([clip])[0], pooled / np.linalg.norm(pooled), atol=1e-5)


def test_same_clip_gives_identical_vectors_alone_or_in_a_batch(embedder):
    a, b = tone(2.0, SR), tone(12.0, SR, freq=110.0, seed=3)
    first = embedder.embed_audio([a, b])
    again = embedder.embed_audio([b, a])
    np.testing.assert_array_equal(first[0], again[1])
    np.testing.assert_allclose(first[1], again[0], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)


def test_text_matches_transformers_get_text_features(embedder, tiny_clap_dir):
    import torch
    from transformers import AutoTokenizer, ClapModel

    texts = ["warm analog pad", "deep sub bass with distortion"]
    tokenizer = AutoTokenizer.from_pretrained(tiny_clap_dir)
    model = ClapModel.from_pretrained(tiny_clap_dir).eval()
    tokens = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model.get_text_features(input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"])
    out = out if isinstance(out, torch.Tensor) else out.pooler_output
    expected = torch.nn.functional.normalize(out, dim=-1).numpy()
    np.testing.assert_allclose(embedder.embed_text(texts), expected, atol=1e-5)


def test_fingerprint_is_stable_and_tracks_the_weights(embedder, tiny_clap_dir, tmp_path):
    assert load_embedder("clap", model=tiny_clap_dir).fingerprint() == embedder.fingerprint()
    other = str(tmp_path / "other")
    save_tiny_clap(other, seed=1)
    assert load_embedder("clap", model=other).fingerprint() != embedder.fingerprint()
    assert embedder.spec()["options"] == {"model": tiny_clap_dir}


def test_tokenizer_of_another_size_is_refused(tiny_clap_dir, tmp_path):
    small = str(tmp_path / "small-tokenizer")
    build_tokenizer(small, vocab_size=265)
    clap = load_embedder("clap", model=tiny_clap_dir, tokenizer=small)
    with pytest.raises(ModelLoadError, match="tokenizer has 265 tokens but the CLAP text tower expects 300"):
        clap.embed_text(["pad"])


def test_folder_without_tokenizer_embeds_audio_but_explains_text(tmp_path):
    folder = str(tmp_path / "no-tok")
    save_tiny_clap(folder, with_tokenizer=False)
    clap = load_embedder("clap", model=folder)
    assert clap.embed_audio([tone(1.0, SR)]).shape == (1, 8)
    with pytest.raises(ModelLoadError, match="no tokenizer files"):
        clap.embed_text(["pad"])


def test_missing_local_model_fails_with_one_line(tmp_path):
    with pytest.raises(ModelLoadError, match="no such file or folder") as err:
        load_embedder("clap", model=str(tmp_path / "nope.pt"))
    assert "\n" not in str(err.value)


def test_unknown_hub_id_offline_fails_fast(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    with pytest.raises(ModelLoadError, match="--model /path/to/folder-or-checkpoint"):
        load_embedder("clap", model="timbre-test/no-such-model")
    assert time.monotonic() - started < 10


def test_unreachable_hub_fails_in_seconds_without_offline_flag(tmp_path):
    """HF_HUB_OFFLINE unset, endpoint refusing connections: a clear error, not minutes of retries."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(HF_ENDPOINT="http://127.0.0.1:9", HF_HOME=str(tmp_path / "hf"), OMP_NUM_THREADS="1")
    code = (
        "from timbre.embedders.clap import resolve_clap_folder\n"
        "from timbre.errors import ModelLoadError\n"
        "try:\n    resolve_clap_folder('timbre-test/no-such-model')\n"
        "except ModelLoadError as e:\n    print('ERR', e)\n"
    )
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith("ERR"), out.stderr[-500:]
    assert "offline and not in the local cache" in out.stdout
    assert time.monotonic() - started < 30


def test_fused_model_ignores_the_extractors_random_longer_pick(tmp_path):
    """Fusion checkpoints: the extractor marks a random clip 'longer'; we never let it."""
    folder = str(tmp_path / "fused")
    save_tiny_clap(folder, fusion=True)
    clap = load_embedder("clap", model=folder)
    assert clap.truncation == "fusion"
    clips = [tone(2.0, SR, freq=f, seed=i) for i, f in enumerate((110.0, 220.0, 440.0))]
    runs = [clap.embed_audio(clips) for _ in range(3)]
    for run in runs[1:]:
        np.testing.assert_array_equal(run, runs[0])
    np.testing.assert_allclose(clap.embed_audio(clips[1:2])[0], runs[0][1], atol=1e-6)


def test_folder_with_missing_weights_is_refused_listing_them(tmp_path):
    """A transformers folder lacking weights must not load half-random."""
    import torch
    from safetensors.torch import load_file, save_file

    folder = str(tmp_path / "partial")
    save_tiny_clap(folder)
    weights = load_file(os.path.join(folder, "model.safetensors"))
    del weights["audio_model.audio_encoder.norm.weight"]
    weights["audio_model.extra_head.weight"] = torch.zeros(2)
    save_file(weights, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(ModelLoadError, match=r"missing audio_model\.audio_encoder\.norm\.weight.*"
                                             r"unexpected audio_model\.extra_head\.weight") as err:
        load_embedder("clap", model=folder)
    assert "\n" not in str(err.value)


def _reference_with_laion_mel(folder: str, clip: np.ndarray) -> np.ndarray:
    """transformers' pipeline with the extractor LAION uses (50 Hz - 14 kHz)."""
    import torch
    from transformers import ClapFeatureExtractor, ClapModel

    model = ClapModel.from_pretrained(folder).eval()
    extractor = ClapFeatureExtractor(truncation="rand_trunc", frequency_min=50, frequency_max=14000)
    inputs = extractor([clip.astype(np.float64)], sampling_rate=SR, return_tensors="pt")
    with torch.no_grad():
        out = model.get_audio_features(**inputs)
    out = out if isinstance(out, torch.Tensor) else out.pooler_output
    return torch.nn.functional.normalize(out, dim=-1).numpy()


def test_folder_without_preprocessor_config_gets_laions_mel_settings(tmp_path):
    """transformers' conversion script writes no preprocessor_config.json: LAION's 50-Hz floor, not 0 Hz."""
    folder = str(tmp_path / "bare")
    save_tiny_clap(folder, with_preprocessor=False)
    clap = load_embedder("clap", model=folder)
    assert clap.features["frequency_min"] == 50
    clip = tone(3.0, SR, freq=55.0)
    np.testing.assert_allclose(clap.embed_audio([clip]), _reference_with_laion_mel(folder, clip), atol=1e-5)


def test_fingerprint_tracks_the_mel_settings(tmp_path):
    """An index built with other mel settings is refused (the index compares fingerprints)."""
    import json

    folder = str(tmp_path / "clap")
    save_tiny_clap(folder)
    before = load_embedder("clap", model=folder).fingerprint()
    config_path = os.path.join(folder, "preprocessor_config.json")
    with open(config_path) as handle:
        config = json.load(handle)
    config["frequency_min"] = 0
    with open(config_path, "w") as handle:
        json.dump(config, handle)
    after = load_embedder("clap", model=folder)
    assert after.fingerprint() != before
    assert after.spec()["options"] == {"model": folder}  # same options: only the fingerprint tells


def test_collapsed_text_tower_is_refused_naming_a_working_checkpoint(tmp_path):
    """Like laion/larger_clap_music: near-zero text projection weights, every prompt -> one vector."""
    import torch
    from transformers import ClapModel

    folder = str(tmp_path / "collapsed")
    save_tiny_clap(folder)
    model = ClapModel.from_pretrained(folder)
    with torch.no_grad():
        for layer in (model.text_projection.linear1, model.text_projection.linear2):
            layer.weight.mul_(1e-3)
        model.text_projection.linear2.bias.uniform_(0.5, 1.0)
    model.save_pretrained(folder)
    clap = load_embedder("clap", model=folder)
    assert clap.embed_audio([tone(1.0, SR)]).shape == (1, 8)  # audio still works
    with pytest.raises(ModelLoadError, match=r"collapsed text tower .*laion/larger_clap_general") as err:
        clap.embed_text(["warm analog pad"])
    assert "\n" not in str(err.value)


def test_working_text_tower_passes_the_check(embedder):
    from timbre.embedders.clap_text import PROBE_PROMPTS, check_text_tower

    assert check_text_tower(embedder._text_vectors, "tiny") < 0.98
    assert len(PROBE_PROMPTS) >= 4


def test_separate_tokenizer_folder_with_vocab_and_merges(tmp_path, tiny_clap_dir):
    """The error message's advice: tokenizer=/folder holding vocab.json + merges.txt."""
    from tokenizers import Tokenizer

    folder = str(tmp_path / "no-tok")
    save_tiny_clap(folder, with_tokenizer=False)
    bare = str(tmp_path / "roberta-files")
    os.makedirs(bare)
    Tokenizer.from_file(os.path.join(tiny_clap_dir, "tokenizer.json")).model.save(bare)
    assert sorted(os.listdir(bare)) == ["merges.txt", "vocab.json"]
    with_files = load_embedder("clap", model=folder, tokenizer=bare)
    bundled = load_embedder("clap", model=folder, tokenizer=tiny_clap_dir)
    texts = ["warm analog pad", "deep sub bass"]
    np.testing.assert_allclose(with_files.embed_text(texts), bundled.embed_text(texts), atol=1e-6)


def test_long_prompt_is_truncated_at_the_context_length(embedder):
    """The tiny tokenizer declares no limit (model_max_length 1e30); the text tower takes 38 tokens."""
    tokenizer = embedder.tokenizer()
    assert tokenizer.model_max_length > 1e20
    long_prompt = " ".join(["warm analog pad with slow attack"] * 30)
    ids = tokenizer(long_prompt)["input_ids"]
    assert len(ids) > 40
    vector = embedder.embed_text([long_prompt])
    assert np.isfinite(vector).all()
    cut = tokenizer(long_prompt, truncation=True, max_length=38, return_tensors="pt")
    import torch

    with torch.no_grad():
        out = embedder.model.get_text_features(**cut)
    out = out if isinstance(out, torch.Tensor) else out.pooler_output
    np.testing.assert_allclose(vector, torch.nn.functional.normalize(out, dim=-1).numpy(), atol=1e-5)


def test_index_built_with_other_mel_settings_is_refused_in_one_line(tmp_path):
    """A converter or preprocessor change reaches existing indexes: they are refused, not mixed."""
    import json

    import soundfile as sf

    from timbre.errors import EmbedderMismatchError
    from timbre.index import open_index
    from timbre.index.builder import build_index

    folder = str(tmp_path / "clap")
    save_tiny_clap(folder)
    presets = tmp_path / "presets"
    presets.mkdir()
    for i, freq in enumerate((110.0, 440.0)):
        sf.write(str(presets / f"p{i}.wav"), tone(1.0, SR, freq=freq), SR)
    index = str(tmp_path / "index")
    build_index([str(presets)], index, "clap", {"model": folder}, workers=0)
    assert open_index(index).load_embedder().name == "clap"
    config_path = os.path.join(folder, "preprocessor_config.json")
    with open(config_path) as handle:
        config = json.load(handle)
    config["frequency_min"] = 0  # what the first converter wrote
    with open(config_path, "w") as handle:
        json.dump(config, handle)
    with pytest.raises(EmbedderMismatchError, match="rebuild it") as err:
        open_index(index).load_embedder()
    assert "\n" not in str(err.value)
