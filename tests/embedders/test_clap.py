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
