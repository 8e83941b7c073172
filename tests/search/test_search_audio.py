"""search_audio / search_text: ranking, HNSW cache, heads, many targets, bad targets."""

import os
import shutil

import numpy as np
import pytest
import toy_embedders
from toy_embedders import write_tone

from timbre.errors import HeadError, TimbreError, UnreadableAudioError
from timbre.index import build_index, open_index
from timbre.search import search_audio, search_text


def test_flat_search_ranks_the_exact_copy_first(library, tmp_path):
    index, paths = library
    copy = tmp_path / "target copy.wav"
    shutil.copy(paths[5], copy)
    [result] = search_audio(index, [str(copy)], top=3)
    assert result.target == str(copy)
    assert [h.rank for h in result.hits] == [1, 2, 3]
    assert result.hits[0].path == paths[5] and result.hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert result.hits[0].name == "preset 1-1" and result.hits[0].bank == "bank1"
    assert result.hits[0].score > result.hits[1].score >= result.hits[2].score


def test_many_targets_share_one_model_load(library, monkeypatch):
    index, paths = library
    loads = []
    original = toy_embedders.ToyEmbedder.__init__

    def counting_init(self, *args, **kwargs):
        loads.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(toy_embedders.ToyEmbedder, "__init__", counting_init)
    results = search_audio(index, paths, top=1)
    assert len(loads) == 1
    assert [r.hits[0].path for r in results] == paths


def test_a_bad_target_among_many_is_reported_and_the_others_answered(library, tmp_path):
    index, paths = library
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    results = search_audio(index, [paths[0], str(bad)], top=2)
    assert results[0].hits[0].path == paths[0] and results[0].error is None
    assert results[1].hits == [] and str(bad) in results[1].error
    assert results[1].to_dict()["error"] == results[1].error
    with pytest.raises(UnreadableAudioError, match="notes.wav"):
        search_audio(index, [str(bad)])


def test_hnsw_cache_is_built_reused_and_rebuilt_after_index_change(library, tmp_path):
    index, paths = library
    cache = os.path.join(index, "cache")
    flat = search_audio(index, paths, top=5)
    hnsw = search_audio(index, paths, top=5, method="hnsw")
    assert [[h.path for h in r.hits] for r in hnsw] == [[h.path for h in r.hits] for r in flat]
    [graph] = [f for f in os.listdir(cache) if f.endswith(".faiss")]
    built_at = os.path.getmtime(os.path.join(cache, graph))

    search_audio(index, paths[:1], method="hnsw")
    assert [f for f in os.listdir(cache) if f.endswith(".faiss")] == [graph] and os.path.getmtime(os.path.join(cache, graph)) == built_at

    new = write_tone(tmp_path / "lib" / "bank9" / "new.wav", 5000.0)
    build_index([str(tmp_path / "lib")], index, workers=0)
    [result] = search_audio(index, [new], top=1, method="hnsw")
    assert result.hits[0].path == new
    [rebuilt] = [f for f in os.listdir(cache) if f.endswith(".faiss")]
    assert rebuilt != graph


class IdentityHead:
    """A head that leaves vectors as they are: rankings must equal the base ranking."""

    id = "identity"

    def __init__(self, fingerprint):
        self.embedder_fingerprint = fingerprint
        self.calls = 0

    def project(self, vectors):
        self.calls += 1
        return np.asarray(vectors, np.float32)


class RandomProjectionHead(IdentityHead):
    """A fixed random linear map (then L2-normalised): reorders neighbours."""

    id = "random"

    def project(self, vectors):
        matrix = np.random.default_rng(0).normal(size=(np.shape(vectors)[1], 16))
        projected = np.asarray(vectors) @ matrix
        return (projected / np.linalg.norm(projected, axis=1, keepdims=True)).astype(np.float32)


def _paths(results):
    return [[h.path for h in r.hits] for r in results]


def test_identity_head_gives_the_base_ranking_and_caches_the_projection(library):
    index, paths = library
    lib = open_index(index)
    head = IdentityHead(lib.embedder_spec["fingerprint"])
    base = search_audio(lib, paths, top=4)
    assert _paths(search_audio(lib, paths, top=4, head=head)) == _paths(base)
    assert _paths(search_audio(lib, paths, top=4, head=head, rerank=6)) == _paths(base)
    assert any(f.startswith("head.identity.") for f in os.listdir(os.path.join(index, "cache")))


def test_head_ranks_in_its_space_and_rerank_reorders_only_the_base_candidates(library):
    index, paths = library
    lib = open_index(index)
    head = RandomProjectionHead(lib.embedder_spec["fingerprint"])
    query = lib.vectors[lib.paths.index(paths[0])][None]
    head_scores = head.project(lib.vectors) @ head.project(query)[0]

    [in_head_space] = search_audio(lib, paths[:1], top=3, head=head)
    assert [lib.paths.index(h.path) for h in in_head_space.hits] == list(np.argsort(-head_scores)[:3])

    [base] = search_audio(lib, paths[:1], top=3)
    [reranked] = search_audio(lib, paths[:1], top=3, head=head, rerank=3)
    assert {h.path for h in reranked.hits} == {h.path for h in base.hits}
    expected = sorted(head_scores[[lib.paths.index(h.path) for h in base.hits]], reverse=True)
    assert [h.score for h in reranked.hits] == pytest.approx(expected, abs=1e-5)


def test_a_head_of_another_embedder_is_refused(library):
    index, paths = library
    with pytest.raises(HeadError, match="fingerprint 0000 but index"):
        search_audio(index, paths[:1], head=IdentityHead("0000"))


def test_text_search_needs_a_text_tower(library, tmp_path):
    index, _ = library
    with pytest.raises(TimbreError, match="no text tower"):
        search_text(index, ["warm pad"])
    lib_dir = tmp_path / "textlib"
    toy_embedders.make_library(lib_dir, banks=1, per_bank=3)
    build_index([str(lib_dir)], str(tmp_path / "textidx"), "texttoy", workers=0)
    [result] = search_text(str(tmp_path / "textidx"), ["abc"], top=2)
    assert result.target == "abc" and len(result.hits) == 2
