"""The library map: similar presets land together, the map is reproducible, and it is cached per index state."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "index"))

import toy_embedders  # noqa: E402

from timbre import embedders, library_map  # noqa: E402
from timbre.library_map import layout_2d  # noqa: E402


def clustered(clusters=8, per_cluster=60, dim=64, noise=1.0, seed=0):
    """(vectors, labels): points around random centres, within-cluster cosine about 0.5."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(clusters), per_cluster)
    x = rng.normal(size=(clusters, dim))[labels] + noise * rng.normal(size=(len(labels), dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), labels


def same_cluster_share(coords, labels, k=10):
    """Mean share of each point's k nearest map neighbours that come from its own cluster."""
    d2 = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    near = np.argsort(d2, axis=1)[:, :k]
    return float((labels[near] == labels[:, None]).mean())


def pca_2d(x):
    centred = x - x.mean(axis=0)
    return centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T


def test_clusters_stay_together_where_pca_mixes_them():
    x, labels = clustered()
    coords = layout_2d(x, seed=0)
    assert coords.shape == (len(x), 2) and coords.dtype == np.float32
    assert same_cluster_share(coords, labels) >= 0.9
    assert same_cluster_share(pca_2d(x), labels) < 0.8  # 0.72: the top-2 directions overlap clusters


def test_map_is_deterministic_for_a_seed_and_fills_the_unit_square():
    x, _ = clustered(clusters=4, per_cluster=30, dim=16)
    first, again, other = layout_2d(x, seed=3), layout_2d(x, seed=3), layout_2d(x, seed=4)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert np.isfinite(first).all() and first.min() >= 0.0 and first.max() <= 1.0
    assert np.isclose(first.max(axis=0) - first.min(axis=0), 1.0).any()  # one axis spans the square


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_tiny_libraries_get_a_finite_map(n):
    x, _ = clustered(clusters=1, per_cluster=n, dim=8) if n else (np.zeros((0, 8), np.float32), None)
    coords = layout_2d(x)
    assert coords.shape == (n, 2) and coords.dtype == np.float32
    assert np.isfinite(coords).all() and ((coords >= 0) & (coords <= 1)).all()
    if n == 1:
        np.testing.assert_array_equal(coords, [[0.5, 0.5]])


def test_duplicates_and_zero_vectors_do_not_break_the_map():
    x, labels = clustered(clusters=3, per_cluster=20, dim=16)
    x = np.concatenate([x, np.repeat(x[:1], 10, axis=0), np.zeros((2, 16), np.float32)])
    coords = layout_2d(x)
    assert coords.shape == (len(x), 2) and np.isfinite(coords).all()
    assert ((coords >= 0) & (coords <= 1)).all()
    assert same_cluster_share(coords[:60], labels) >= 0.9


def test_progress_reports_every_step():
    class Recorder:
        def __init__(self):
            self.total, self.done, self.closed = None, 0, False

        def start(self, total, desc, unit="file"):
            self.total = total

        def advance(self, n=1):
            self.done += n

        def note(self, message):
            pass

        def close(self):
            self.closed = True

    recorder = Recorder()
    layout_2d(clustered(clusters=2, per_cluster=10, dim=8)[0], progress=recorder)
    assert recorder.total and recorder.done == recorder.total and recorder.closed


@pytest.fixture
def index_path(tmp_path, monkeypatch):
    """A real index of 2 banks x 4 tones built with the toy embedder."""
    from timbre.index import build_index

    for name, target in toy_embedders.REGISTRY.items():
        monkeypatch.setitem(embedders.BUILTIN, name, target)
    toy_embedders.make_library(tmp_path / "lib", banks=2, per_bank=4)
    path = str(tmp_path / "idx")
    build_index([str(tmp_path / "lib")], path, "toy", workers=0)
    return path


class ScaledHead:
    """A stand-in projection head: keeps the first 8 dimensions, renormalised."""

    id = "scaled"

    def __init__(self, embedder_fingerprint):
        self.embedder_fingerprint = embedder_fingerprint

    def project(self, vectors):
        out = np.asarray(vectors)[:, :8]
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_map_is_computed_once_per_index_state_and_head(index_path, monkeypatch):
    from timbre.index import open_index

    calls = []
    real_layout = library_map.layout_2d

    def counting_layout(vectors, **kwargs):
        calls.append(np.asarray(vectors).shape)
        return real_layout(vectors, **kwargs)

    monkeypatch.setattr(library_map, "layout_2d", counting_layout)
    lib = open_index(index_path)
    first = library_map.library_map(lib)
    again = library_map.library_map(open_index(index_path))
    assert calls == [lib.vectors.shape]
    np.testing.assert_array_equal(first, again)
    assert first.shape == (len(lib.records), 2)

    fingerprint = lib.embedder_spec["fingerprint"]
    projected = library_map.library_map(lib, head=ScaledHead(fingerprint))
    library_map.library_map(open_index(index_path), head=ScaledHead(fingerprint))
    assert calls == [lib.vectors.shape, (len(lib.records), 8)]
    assert projected.shape == first.shape


def test_map_refuses_a_head_trained_on_another_embedder(index_path):
    from timbre.errors import HeadError
    from timbre.index import open_index

    with pytest.raises(HeadError, match="trained on embedder fingerprint"):
        library_map.library_map(open_index(index_path), head=ScaledHead("another-embedder"))
