"""Combined spaces (``spectral+mfcc``): weighted-mean cosine, names, per-part rates, text, indexing."""

import os
import sys

import numpy as np
import pytest
import soundfile as sf

from synth_timbres import SR, melody, one_shot
from timbre import embedders
from timbre.audio import load_audio, resample
from timbre.embedders import load_embedder
from timbre.errors import EmbedderMismatchError, TimbreError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "index"), os.path.join(HERE, "..", "cli")]
import toy_embedders  # noqa: E402
from cli_run import timbre  # noqa: E402

TIMBRES = ["saw_bright", "square_dark", "triangle_pad", "organ"]


@pytest.fixture
def toys(monkeypatch):
    for name, target in toy_embedders.REGISTRY.items():
        monkeypatch.setitem(embedders.BUILTIN, name, target)


def test_the_cosine_of_a_combination_is_the_weighted_mean_of_its_parts():
    clips = [one_shot(t) for t in TIMBRES] + [melody(t) for t in TIMBRES]
    combined = load_embedder("spectral:0.7+mfcc:0.3")
    spectral, mfcc = load_embedder("spectral").embed_audio(clips), load_embedder("mfcc").embed_audio(clips)
    vectors = combined.embed_audio(clips)
    assert combined.dim == 153 + 40 and vectors.shape == (8, 193) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors @ vectors.T, 0.7 * spectral @ spectral.T + 0.3 * mfcc @ mfcc.T, atol=1e-5)
    even = load_embedder("spectral+mfcc").embed_audio(clips)
    np.testing.assert_allclose(even @ even.T, 0.5 * spectral @ spectral.T + 0.5 * mfcc @ mfcc.T, atol=1e-5)
    assert combined.embed_audio([]).shape == (0, 193)


def test_names_weights_and_one_fingerprint():
    even = load_embedder("spectral+mfcc")
    assert even.name == "spectral+mfcc" and load_embedder("spectral:2+mfcc:2").name == "spectral+mfcc"
    assert load_embedder("spectral:2+mfcc:2").fingerprint() == even.fingerprint()
    weighted = load_embedder("spectral:0.7+mfcc:0.3")
    assert weighted.name == "spectral:0.7+mfcc:0.3" and weighted.fingerprint() != even.fingerprint()
    assert even.fingerprint() not in (load_embedder("spectral").fingerprint(), load_embedder("mfcc").fingerprint())
    assert load_embedder("mfcc+spectral").fingerprint() != even.fingerprint()  # the order is the layout
    rebuilt = load_embedder(weighted.name, **weighted.spec()["options"])  # as an index rebuilds it
    assert rebuilt.fingerprint() == weighted.fingerprint() and type(rebuilt).__name__ == "CombinedEmbedder"
    assert even.parallel_safe and not even.supports_text and even.sample_rate == 22050


@pytest.mark.parametrize("name, message", [
    ("spectral+nope", "unknown embedder 'nope'"),
    ("spectral:0+mfcc", "weight above 0"),
    ("spectral:x+mfcc", "NAME:WEIGHT"),
    ("spectral+spectral", "names a part twice"),
    ("spectral+", "NAME:WEIGHT"),
])
def test_bad_combined_names_fail_in_one_line(name, message):
    with pytest.raises(TimbreError, match=message) as err:
        load_embedder(name)
    assert "\n" not in str(err.value)


def test_each_part_embeds_at_its_own_rate(toys):
    combined = load_embedder("toy:1+spectral:3")  # toy works at 16 kHz, spectral at 22.05 kHz
    assert combined.sample_rate == SR
    clip = one_shot("saw_bright")
    toy_block, spectral_block = np.split(combined.embed_audio([clip])[0], [64])
    expected_toy = load_embedder("toy").embed_audio([resample(clip, SR, toy_embedders.SAMPLE_RATE)])[0]
    np.testing.assert_allclose(toy_block, np.sqrt(0.25) * expected_toy, atol=1e-5)
    np.testing.assert_allclose(spectral_block, np.sqrt(0.75) * load_embedder("spectral").embed_audio([clip])[0],
                               atol=1e-5)


def test_text_goes_through_the_parts_that_have_a_text_tower(toys):
    combined = load_embedder("texttoy+spectral")
    assert combined.supports_text
    text = combined.embed_text(["warm pad", "bass"])
    assert text.shape == (2, 64 + 153)
    np.testing.assert_allclose(text[:, 64:], 0.0)
    np.testing.assert_allclose(text[:, :64], load_embedder("texttoy").embed_text(["warm pad", "bass"]), atol=1e-6)
    with pytest.raises(TimbreError, match="no text tower"):
        load_embedder("spectral+mfcc").embed_text(["pad"])


@pytest.fixture
def synth_library(tmp_path):
    paths = []
    for timbre in TIMBRES:
        path = tmp_path / "lib" / "bank" / f"{timbre}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, one_shot(timbre), SR)
        paths.append(str(path))
    return tmp_path / "lib", paths


@pytest.mark.parametrize("workers", [0, 2])
def test_a_combined_index_is_built_searched_and_updated(synth_library, tmp_path, workers):
    from timbre.index import build_index, open_index
    from timbre.search import search_audio

    root, paths = synth_library
    index = str(tmp_path / "idx")
    report = build_index([str(root)], index, "spectral+mfcc", workers=workers)
    assert report.added == 4 and report.skipped == []
    lib = open_index(index)
    assert lib.embedder_spec["name"] == "spectral+mfcc" and lib.embedder_spec["dim"] == 193
    model = lib.load_embedder()
    direct = model.embed_audio([load_audio(paths[0], model.sample_rate)])[0]
    np.testing.assert_allclose(lib.vectors[lib.paths.index(paths[0])], direct, atol=1e-5)
    [result] = search_audio(lib, [paths[2]], top=2)
    assert result.hits[0].path == paths[2]
    assert build_index([str(root)], index, "spectral:1+mfcc:1", workers=0).unchanged == 4  # the same space
    with pytest.raises(EmbedderMismatchError):
        build_index([str(root)], index, "spectral:0.7+mfcc:0.3", workers=0)


def test_the_cli_indexes_with_a_combined_embedder(synth_library, tmp_path, monkeypatch, capsys):
    root, _ = synth_library
    code, out, err = timbre(monkeypatch, capsys, "index", root, "--index", tmp_path / "idx",
                            "--embedder", "spectral+mfcc", "--workers", "0")
    assert code == 0, err
    code, out, _ = timbre(monkeypatch, capsys, "info", "--index", tmp_path / "idx")
    assert code == 0 and "embedder  spectral+mfcc" in out and "dim 193 @ 22050 Hz" in out
