"""Augmented vectors are cached per preview content: a grown library augments only its new previews."""

import os

import numpy as np

from heads_toy_embedder import make_presets, write_preset

from timbre.heads import augment
from timbre.heads.augment import augmented_views
from timbre.index import build_index, open_index

SETTINGS = {"variants_per_preset": 2, "max_semitones": 7, "loop_probability": 0.5, "fx_probability": 0.5}


def _counting(monkeypatch) -> list[str]:
    """Record which previews get decoded and augmented."""
    seen: list[str] = []
    real = augment.load_audio

    def load(path, sr):
        seen.append(path)
        return real(path, sr)

    monkeypatch.setattr(augment, "load_audio", load)
    return seen


def test_adding_a_preview_augments_only_it_and_keeps_the_other_vectors(tmp_path, monkeypatch):
    lib_dir, index = tmp_path / "lib", str(tmp_path / "idx")
    make_presets(str(lib_dir), 6)
    build_index([str(lib_dir)], index, "headtoy", workers=0)
    seen = _counting(monkeypatch)
    lib = open_index(index)
    first, owner_first = augmented_views(lib, SETTINGS)
    assert len(seen) == 6 and first.shape == (12, 16) and list(owner_first) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    before = {path: first[owner_first == row] for row, path in enumerate(lib.paths)}

    added = write_preset(str(lib_dir / "bank1" / "zz_added.wav"), 330.0, 4)
    build_index([str(lib_dir)], index, workers=0)
    seen.clear()
    lib = open_index(index)
    second, owner_second = augmented_views(lib, SETTINGS)
    assert seen == [added]
    assert second.shape == (14, 16)
    # Unchanged previews keep bit-identical vectors, wherever they now sit in the index.
    for row, path in enumerate(lib.paths):
        if path != added:
            np.testing.assert_array_equal(second[owner_second == row], before[path])


def test_other_settings_recompute_and_a_second_run_decodes_nothing(tmp_path, monkeypatch):
    lib_dir, index = tmp_path / "lib", str(tmp_path / "idx")
    make_presets(str(lib_dir), 4)
    build_index([str(lib_dir)], index, "headtoy", workers=0)
    seen = _counting(monkeypatch)
    augmented_views(open_index(index), SETTINGS)
    augmented_views(open_index(index), SETTINGS)
    assert len(seen) == 4
    augmented_views(open_index(index), {**SETTINGS, "max_semitones": 3})
    assert len(seen) == 8
    cache = os.listdir(os.path.join(index, "cache"))
    assert len([n for n in cache if n.startswith("augment-") and n.endswith(".npz")]) == 2


class MainProcessToy:
    """The toy embedder seen as a torch one: not ``parallel_safe``; records each call's size."""

    parallel_safe = False
    batch_size = 8

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed_audio(self, batch):
        self.calls.append(len(batch))
        return self.inner.embed_audio(batch)


def test_worker_processes_make_the_same_augmented_clips_for_either_kind_of_embedder(tmp_path):
    lib_dir, index = tmp_path / "lib", str(tmp_path / "idx")
    make_presets(str(lib_dir), augment.POOLED_PRESETS + 4)
    build_index([str(lib_dir)], index, "headtoy", workers=0)
    with open(os.path.join(str(lib_dir), "bank1", "preset03.wav"), "wb") as fh:  # broken after indexing
        fh.write(b"not audio")
    lib = open_index(index)
    here = augment.embed_augmentations(lib, SETTINGS, seed=3, workers=0)
    broken = lib.paths.index(os.path.join(str(lib_dir), "bank1", "preset03.wav"))
    assert np.isnan(here[2 * broken:2 * broken + 2]).all()
    assert np.isfinite(np.delete(here, [2 * broken, 2 * broken + 1], axis=0)).all()
    in_workers = augment.embed_augmentations(lib, SETTINGS, seed=3, workers=2)  # headtoy embeds in the workers
    np.testing.assert_allclose(in_workers, here, atol=1e-6)
    torch_like = MainProcessToy(lib.load_embedder())
    lib.use_embedder(torch_like)
    fed = augment.embed_augmentations(lib, SETTINGS, seed=3, workers=2)  # clips made in workers, embedded here
    np.testing.assert_allclose(fed, here, atol=1e-6)
    assert max(torch_like.calls) == 8 and sum(torch_like.calls) == 2 * (augment.POOLED_PRESETS + 3)
