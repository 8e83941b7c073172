"""OpenL3Embedder on tiny random networks saved in the torchopenl3 state-dict layout, checked
against a reference written here from the Keras model description (numpy front end +
functional torch layers), plus the full-size network's shapes and parameter count."""

from __future__ import annotations

import datetime
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tiny_models import tone
from timbre.embedders import load_embedder
from timbre.embedders.openl3_net import OpenL3Audio, OpenL3Config, htk_mel_filters
from timbre.errors import ModelLoadError

SR = 48000
TINY_WIDTHS = (2, 4, 4, 8)
#: Every key of torchopenl3's PytorchOpenl3 mel256 state dict.
TORCHOPENL3_KEYS = (
    {"speclayer.dft_real_kernels", "speclayer.dft_imag_kernels", "speclayer.mel_basis"}
    | {f"batch_normalization_{i}.{p}" for i in range(1, 9)
       for p in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")}
    | {f"{name}.{p}" for name in [f"conv2d_{i}" for i in range(1, 8)] + ["audio_embedding_layer"]
       for p in ("weight", "bias")}
)


def melody(seconds: float, seed: int = 0) -> np.ndarray:
    """Notes changing every 0.3 s with noise bursts, so every 1-s window differs (a steady or
    merely decaying tone would not: the front end measures decibels re the window's maximum)."""
    rng = np.random.default_rng(seed)
    notes = [tone(0.3, SR, freq=float(f), seed=seed) for f in rng.uniform(100, 3000, int(seconds / 0.3) + 1)]
    clip = np.concatenate(notes)[: int(seconds * SR)]
    return clip + (0.2 * rng.standard_normal(len(clip)) * (rng.random(len(clip) // 4800 + 1) > 0.7)
                   .repeat(4800)[: len(clip)]).astype(np.float32)


def tiny_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """A random tiny OpenL3 whose batch-norm statistics are measured on a few windows (as
    training would leave them), so its ReLUs are alive and different audio gives different vectors."""
    torch.manual_seed(seed)
    network = OpenL3Audio(OpenL3Config(widths=TINY_WIDTHS))
    for module in network.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # cumulative average over the calibration batch
            module.weight.data.uniform_(0.5, 1.5)
    calibration = np.stack([melody(1.0, seed=seed + i) for i in range(6)])
    with torch.no_grad():
        network.train()(torch.from_numpy(calibration))
    return network.eval().state_dict()


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    folder = tmp_path_factory.mktemp("openl3")
    state = tiny_state()
    paths = {}
    for size in (512, 6144):
        paths[size] = str(folder / f"torchopenl3_mel256_music_{size}.pth.tar")
        torch.save(state, paths[size])
    return state, paths


def reference_filters() -> np.ndarray:
    """librosa.filters.mel(sr=48000, n_fft=2048, n_mels=256, htk=True, norm="slaney"): (1025, 256)."""
    from transformers.audio_utils import mel_filter_bank

    with warnings.catch_warnings():  # the lowest HTK filters are narrower than a bin (librosa warns too)
        warnings.simplefilter("ignore")
        return mel_filter_bank(1025, 256, 0.0, 24000.0, SR, norm="slaney", mel_scale="htk")


def reference_front_end(window: np.ndarray) -> np.ndarray:
    """kapre 0.1.4 as OpenL3 used it, in float64 numpy: "same" zero padding, periodic-Hann
    2048-point FFT with hop 242, librosa-style HTK mel (area-normalised), magnitude, dB re max."""
    filters = reference_filters()
    padded = np.pad(window.astype(np.float64), (982, 982))
    frames = np.lib.stride_tricks.sliding_window_view(padded, 2048)[::242]
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(2048) / 2048)
    power = np.abs(np.fft.rfft(frames * hann, axis=1)) ** 2  # (199, 1025)
    mel = filters.T @ power.T
    decibels = 10 * np.log10(np.maximum(np.sqrt(mel), 1e-10))
    return np.maximum(decibels - decibels.max(), -80.0)  # (256, 199)


def reference_network(state: dict[str, torch.Tensor], spectrogram: np.ndarray, pool) -> np.ndarray:
    """The Keras graph, layer by layer, with functional ops on the state dict's tensors."""
    def bn(x, i):
        p = f"batch_normalization_{i}."
        return F.batch_norm(x, state[p + "running_mean"], state[p + "running_var"],
                            state[p + "weight"], state[p + "bias"], eps=1e-3)

    x = bn(torch.tensor(spectrogram, dtype=torch.float32)[None, None], 1)
    names = [f"conv2d_{i}" for i in range(1, 8)]
    for i, name in enumerate(names):
        x = F.relu(bn(F.conv2d(x, state[name + ".weight"], state[name + ".bias"], padding=1), i + 2))
        if i in (1, 3, 5):
            x = F.max_pool2d(x, 2)
    x = F.conv2d(x, state["audio_embedding_layer.weight"], state["audio_embedding_layer.bias"], padding=1)
    x = F.max_pool2d(x, pool).numpy()[0]  # (channels, mel, time)
    return np.transpose(x, (1, 2, 0)).reshape(-1)  # Keras Flatten of (mel, time, channels)


def expected_clip_vector(state, windows: list[np.ndarray], pool) -> np.ndarray:
    vectors = np.stack([reference_network(state, reference_front_end(w), pool) for w in windows])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    mean = vectors.mean(axis=0)
    return mean / np.linalg.norm(mean)


def test_full_size_network_has_openl3s_shapes_keys_and_parameter_count():
    network = OpenL3Audio(OpenL3Config()).eval()
    assert set(network.state_dict()) == TORCHOPENL3_KEYS
    convs = [(1, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 512), (512, 512)]
    keras_params = sum(9 * cin * cout + cout for cin, cout in convs) + 2 * (1 + sum(c for _, c in convs[:7]))
    assert sum(p.numel() for p in network.parameters()) == keras_params == 4_687_042
    with torch.inference_mode():
        assert network.speclayer(torch.zeros(1, SR)).shape == (1, 1, 256, 199)
        assert network(torch.from_numpy(tone(1.0, SR))[None]).shape == (1, 512)
        wide = OpenL3Audio(OpenL3Config(embedding_size=6144)).eval()
        assert wide(torch.from_numpy(tone(1.0, SR))[None]).shape == (1, 6144) and wide.config.dim == 6144


def test_front_end_equals_kapres_mel_decibels():
    np.testing.assert_allclose(htk_mel_filters(SR, 2048, 256).T, reference_filters(), atol=1e-6)
    window = melody(1.0, seed=3)
    with torch.inference_mode():
        got = OpenL3Audio(OpenL3Config(widths=TINY_WIDTHS)).speclayer(torch.from_numpy(window)[None])[0, 0]
    expected = reference_front_end(window)
    np.testing.assert_allclose(got.numpy(), expected, atol=0.01)  # dB; float32 DFT vs float64 FFT


@pytest.mark.parametrize("size, dim", [(512, 8), (6144, 96)])
def test_embedder_is_the_mean_of_1s_windows_of_the_keras_graph(weights, size, dim):
    state, paths = weights
    openl3 = load_embedder("openl3", model=paths[size])  # the size comes from the file name
    assert (openl3.sample_rate, openl3.dim) == (SR, dim)
    clip = melody(2.6, seed=4)
    starts = [0.0, 0.5, 1.0, 1.5, 1.6]  # 0.5-s hop, the last window ends at the clip's end
    windows = [clip[int(s * SR) : int(s * SR) + SR] for s in starts]
    pool = (32, 24) if size == 512 else (8, 8)
    got = openl3.embed_audio([clip])[0]
    np.testing.assert_allclose(got, expected_clip_vector(state, windows, pool), atol=2e-5)
    assert float(np.dot(got, expected_clip_vector(state, windows, pool))) > 0.9999


def test_short_clip_is_repeat_padded_to_one_second(weights):
    state, paths = weights
    clip = melody(0.4, seed=5)
    padded = np.concatenate([clip, clip, np.zeros(int(0.2 * SR), dtype=np.float32)])
    got = load_embedder("openl3", model=paths[512]).embed_audio([clip])[0]
    np.testing.assert_allclose(got, expected_clip_vector(state, [padded], (32, 24)), atol=2e-5)


def test_options_change_vectors_and_fingerprint(weights, tmp_path):
    state, paths = weights
    base = load_embedder("openl3", model=paths[6144])
    small = load_embedder("openl3", model=paths[6144], embedding_size=512)
    dense = load_embedder("openl3", model=paths[6144], hop_s=0.1)
    assert (base.dim, small.dim) == (96, 8)
    assert base.spec()["options"] == {"model": paths[6144], "embedding_size": 6144, "hop_s": 0.5}
    clip = melody(2.3, seed=1)
    assert not np.allclose(base.embed_audio([clip]), dense.embed_audio([clip]), atol=1e-3)
    other = str(tmp_path / "other_512.pt")
    torch.save(tiny_state(seed=1), other)
    prints = {e.fingerprint() for e in (base, small, dense, load_embedder("openl3", model=other))}
    assert len(prints) == 4
    again = load_embedder("openl3", model=paths[6144])
    assert again.fingerprint() == base.fingerprint()
    np.testing.assert_array_equal(again.embed_audio([clip]), base.embed_audio([clip]))


def test_front_end_tensors_come_from_the_file_when_it_has_them(weights, tmp_path):
    state, paths = weights
    clip = melody(1.5, seed=2)
    full = load_embedder("openl3", model=paths[512]).embed_audio([clip])
    bare_path, tilted_path = str(tmp_path / "bare_512.pt"), str(tmp_path / "tilted_512.pt")
    torch.save({k: v for k, v in state.items() if not k.startswith("speclayer.")}, bare_path)
    np.testing.assert_allclose(load_embedder("openl3", model=bare_path).embed_audio([clip]), full, atol=1e-6)
    tilted = dict(state, **{"speclayer.mel_basis": state["speclayer.mel_basis"] * torch.linspace(0.1, 10, 256)[:, None]})
    torch.save(tilted, tilted_path)
    assert not np.allclose(load_embedder("openl3", model=tilted_path).embed_audio([clip]), full, atol=1e-4)


def test_registered_with_class_defaults():
    from timbre.embedders import describe_embedders

    row = next(r for r in describe_embedders() if r["name"] == "openl3")
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["entry-points"]["timbre.embedders"]["openl3"] == row["target"]
    assert (row["sample_rate"], row["dim"], row["text"]) == (SR, 512, False)


def test_missing_unsafe_or_wrong_weights_fail_in_one_line(weights, tmp_path):
    state, _ = weights
    cases = []
    cases.append((None, "needs its weights: pass --model /path/to/torchopenl3_mel256_music_512.pth.tar"))
    cases.append((str(tmp_path / "nowhere.pth.tar"), "checkpoint not found"))
    pickled = str(tmp_path / "pickled.pt")
    torch.save({"saved": datetime.datetime(2024, 1, 1)}, pickled)  # not tensors: weights_only refuses it
    cases.append((pickled, "pickled Python object .* not unpickle"))
    unrelated = str(tmp_path / "unrelated.pt")
    torch.save({"fc.weight": torch.zeros(2)}, unrelated)
    cases.append((unrelated, "no OpenL3 audio weights"))
    mel128 = str(tmp_path / "torchopenl3_mel128_music_512.pth.tar")
    torch.save(dict(state, **{"speclayer.mel_basis": torch.zeros(128, 1025)}), mel128)
    cases.append((mel128, r"not a mel256 OpenL3 model \(mel_basis \(128, 1025\)\)"))
    broken = str(tmp_path / "broken.pt")
    torch.save({k: v for k, v in state.items() if k != "conv2d_4.bias"}, broken)
    cases.append((broken, "weights do not fit OpenL3's audio network"))
    for model, message in cases:
        with pytest.raises(ModelLoadError, match=message) as err:
            load_embedder("openl3", model=model)
        assert "\n" not in str(err.value)
    with pytest.raises(ModelLoadError, match="embedding_size=128 is not available"):
        load_embedder("openl3", model=weights[1][512], embedding_size=128)
    with pytest.raises(ModelLoadError, match="hop_s=2 must be > 0 and at most 1 second"):
        load_embedder("openl3", model=weights[1][512], hop_s=2)
