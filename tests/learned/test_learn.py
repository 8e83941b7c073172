"""`timbre learn` end to end on eight synthetic previews: a complete model folder, the same network
from the same seed, an index that keeps the network it was built with, and a transposed copy of a
preview found first on a `spectral+learned` index in both search modes."""

import hashlib
import json
import os
import sys

import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "app"))

from app_demo import FAMILIES, SR, tone, write_tone_library  # noqa: E402

from timbre.audio import pitch_shift, resample  # noqa: E402
from timbre.errors import ModelLoadError  # noqa: E402
from timbre.index import build_index, open_index  # noqa: E402
from timbre.learned.fit import FitSettings  # noqa: E402
from timbre.learned.learn import learn_embedder  # noqa: E402
from timbre.learned.store import CONFIG_FILE, WEIGHTS_FILE, learned_dir, resolve_learned  # noqa: E402
from timbre.search import search_audio  # noqa: E402

FIT = FitSettings(epochs=3, batch=32)


def _digest(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    """A spectral index of eight previews and a network learned from it (in ``models``)."""
    root = tmp_path_factory.mktemp("learned")
    write_tone_library(root / "lib")
    build_index([str(root / "lib")], str(root / "idx"), "spectral", workers=0)
    info = learn_embedder(str(root / "idx"), str(root / "models"), fit=FIT, workers=1)
    return root, info


def test_learning_writes_a_complete_model_folder(learned):
    root, info = learned
    assert os.listdir(learned_dir(str(root / "models"))) == [info["id"]]  # no staging folder left
    assert sorted(os.listdir(info["path"])) == [CONFIG_FILE, WEIGHTS_FILE]
    with open(os.path.join(info["path"], CONFIG_FILE), encoding="utf-8") as fh:
        config = json.load(fh)
    assert config["format_version"] == 1 and config["kind"] == "learned"
    assert config["previews"]["learned_from"] == 8 and config["previews"]["undecodable"] == 0
    assert len(config["training"]["losses"]) == FIT.epochs and np.isfinite(config["training"]["losses"]).all()
    assert resolve_learned(None, str(root / "models")) == info["path"]  # the newest is the default


def test_the_same_seed_learns_the_same_network(learned, tmp_path):
    root, info = learned
    again = learn_embedder(str(root / "idx"), str(tmp_path / "models"), fit=FIT, workers=1)
    assert _digest(os.path.join(again["path"], WEIGHTS_FILE)) == _digest(os.path.join(info["path"], WEIGHTS_FILE))
    other = learn_embedder(str(root / "idx"), str(tmp_path / "models"), fit=FitSettings(epochs=3, batch=32, seed=1),
                           workers=1)
    assert _digest(os.path.join(other["path"], WEIGHTS_FILE)) != _digest(os.path.join(info["path"], WEIGHTS_FILE))


def test_an_index_keeps_the_network_it_was_built_with(learned, tmp_path, monkeypatch):
    root, info = learned
    monkeypatch.setenv("TIMBRE_MODELS", str(root / "models"))
    index = str(tmp_path / "idx")
    build_index([str(root / "lib")], index, "learned", workers=0)
    assert open_index(index).embedder_spec["options"]["model"] == info["path"]
    newer = learn_embedder(str(root / "idx"), str(root / "models"), fit=FitSettings(epochs=1, batch=32, seed=2),
                           workers=1)
    try:
        lib = open_index(index)
        assert lib.load_embedder().fingerprint() == lib.embedder_spec["fingerprint"]
        for name in (None, "learned"):  # an update, naming the embedder or not: its own network, no mismatch
            assert build_index([str(root / "lib")], index, name, workers=0).unchanged == 8
    finally:
        import shutil

        shutil.rmtree(newer["path"])


def test_vectors_are_unit_and_the_same_for_the_same_clip(learned):
    from timbre.embedders import load_embedder

    root, info = learned
    model = load_embedder("learned", model=info["path"])
    clips = [resample(tone("saw", 48, 0.3), SR, model.sample_rate), resample(tone("sine", 55, 6.0), SR, model.sample_rate)]
    first, second = model.embed_audio(clips), model.embed_audio(clips[::-1])[::-1]
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(first, second, atol=1e-5)  # a clip's vector does not depend on its batch


@pytest.mark.parametrize("thorough", [False, True])
def test_a_transposed_copy_finds_its_preview_first_beside_spectral(learned, tmp_path, thorough):
    root, info = learned
    index = str(tmp_path / "idx")
    build_index([str(root / "lib")], index, "spectral+learned", {"parts": [
        {"name": "spectral"}, {"name": "learned", "options": {"model": info["path"]}}]}, workers=0)
    for family in FAMILIES:
        preview, _ = sf.read(root / "lib" / family / f"{family} 0.wav", dtype="float32")
        target = str(tmp_path / f"{family}.wav")
        sf.write(target, pitch_shift(preview, SR, 7), SR)
        hits = search_audio(index, [target], top=3, thorough=thorough)[0].hits
        assert hits[0].name == f"{family} 0", (family, [h.name for h in hits])


def test_a_damaged_model_folder_is_one_clear_error(learned, tmp_path):
    import shutil

    from timbre.embedders import load_embedder

    root, info = learned
    broken = tmp_path / "broken"
    shutil.copytree(info["path"], broken)
    (broken / WEIGHTS_FILE).write_bytes(b"cut short")
    with pytest.raises(ModelLoadError, match="cannot load the weights"):
        load_embedder("learned", model=str(broken))
    (broken / CONFIG_FILE).write_text('{"format_version": 99, "kind": "learned", "network": '
                                      '{"channels": 16, "dim": 128}}')
    with pytest.raises(ModelLoadError, match="format"):
        load_embedder("learned", model=str(broken))
