"""Retraining heads (the app's Retrain button, `timbre train` in a labeling loop) keeps the index's
cache bounded: each head's projected library is kept only for the last few heads used."""

import gc
import os
import time
import weakref

import numpy as np
import pytest
import toy_embedders

from timbre.index import build_index, open_index
from timbre.index.head_caches import HEAD_CACHES_KEPT, HEAD_SPACES_IN_MEMORY
from timbre.library_map import library_map
from timbre.search import search_audio
from timbre.search.space import library_space


class RandomHead:
    """A head with a real head id (``YYYYmmdd-HHMMSS-xxxxxx``): a fixed random projection."""

    def __init__(self, head_id: str, fingerprint: str):
        self.id, self.embedder_fingerprint = head_id, fingerprint
        self._seed = int(head_id[-6:], 16)

    def project(self, vectors):
        matrix = np.random.default_rng(self._seed).normal(size=(np.shape(vectors)[1], 8))
        projected = np.asarray(vectors) @ matrix
        return (projected / np.linalg.norm(projected, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def indexed(tmp_path):
    paths = toy_embedders.make_library(tmp_path / "lib", banks=2, per_bank=3)
    index = str(tmp_path / "idx")
    build_index([str(tmp_path / "lib")], index, "toy", workers=0, views=(-12, 0, 12), textures=("note",))
    return index, paths


def _heads_in_cache(index: str) -> set[str]:
    return {name.split(".")[1] for name in os.listdir(os.path.join(index, "cache")) if name.startswith("head.")}


def _use(lib, paths, head, clock: list[float]) -> None:
    """Search with ``head`` (and, like the app, lay out its map); then let the file clock move on."""
    assert search_audio(lib, paths[:1], top=3, head=head)[0].error is None
    search_audio(lib, paths[:1], top=3, head=head, method="hnsw")
    library_map(lib, head)
    clock[0] += 10
    for name in os.listdir(os.path.join(lib.path, "cache")):
        path = os.path.join(lib.path, "cache", name)
        if os.path.getmtime(path) > clock[0] - 10:  # written or used just now
            os.utime(path, (clock[0], clock[0]))


def test_retraining_keeps_the_data_of_the_last_three_heads_used_and_leaves_the_rest(indexed):
    index, paths = indexed
    lib = open_index(index)
    fingerprint = lib.embedder_spec["fingerprint"]
    heads = [RandomHead(f"20261121-10000{i}-a0000{i}", fingerprint) for i in range(6)]
    clock = [time.time() - 1000]
    library_map(lib)  # base-space data: never retired with the heads
    search_audio(lib, paths[:1], top=3, method="hnsw")
    for head in heads[:3]:
        _use(lib, paths, head, clock)
    assert _heads_in_cache(index) == {h.id for h in heads[:3]}
    assert {n.split("--")[0] for n in os.listdir(os.path.join(index, "cache")) if n.startswith(f"head.{heads[0].id}")} \
        == {f"head.{heads[0].id}.views", f"head.{heads[0].id}.views-hnsw", f"head.{heads[0].id}.plain",
            f"head.{heads[0].id}.map1"}

    _use(open_index(index), paths, heads[0], clock)  # the first head used again (its data read, not rewritten)
    for head in heads[3:]:
        _use(open_index(index), paths, head, clock)
        assert len(_heads_in_cache(index)) == HEAD_CACHES_KEPT
    assert _heads_in_cache(index) == {h.id for h in heads[3:]}

    _use(open_index(index), paths, heads[4], clock)
    _use(open_index(index), paths, heads[0], clock)  # retired earlier: computed again, the oldest goes
    assert _heads_in_cache(index) == {heads[0].id, heads[4].id, heads[5].id}
    cache = os.listdir(os.path.join(index, "cache"))
    assert any(n.startswith("hnsw-base-views--") for n in cache) and any(n.startswith("map1-base--") for n in cache)
    assert any(n.startswith("views-") for n in cache), "the pitch views themselves are not head data"


def test_a_head_used_again_is_kept_over_heads_trained_since(indexed):
    index, paths = indexed
    fingerprint = open_index(index).embedder_spec["fingerprint"]
    heads = [RandomHead(f"20261121-11000{i}-b0000{i}", fingerprint) for i in range(4)]
    clock = [time.time() - 1000]
    for head in heads[:3]:
        _use(open_index(index), paths, head, clock)
    _use(open_index(index), paths, heads[0], clock)  # the oldest, switched back to in the head menu
    _use(open_index(index), paths, heads[3], clock)
    assert _heads_in_cache(index) == {heads[0].id, heads[2].id, heads[3].id}


def test_head_data_in_the_old_layout_is_deleted_when_a_head_is_next_cached(indexed):
    index, paths = indexed
    lib = open_index(index)
    cache = os.path.join(index, "cache")
    old = ["head-20261101-090000-c00000-views--abc.npy", "hnsw-head-20261101-090000-c00000-views--abc.faiss",
           "head-20261101-090000-c00000--abc.npy", "map1-20261101-090000-c00000--abc.npy"]
    kept = ["map1-base--abc.npy", "hnsw-base-views--abc.faiss", "tags-0123--abc.json"]
    for name in old + kept:
        with open(os.path.join(cache, name), "wb") as fh:
            fh.write(b"0" * 64)
    search_audio(lib, paths[:1], top=3)
    assert set(old) <= set(os.listdir(cache)), "a search without a head deletes nothing"
    search_audio(lib, paths[:1], top=3, head=RandomHead("20261121-120000-d00000", lib.embedder_spec["fingerprint"]))
    assert not set(old) & set(os.listdir(cache)) and set(kept) <= set(os.listdir(cache))


def test_a_long_session_holds_the_libraries_of_the_last_two_heads_in_memory_only(indexed):
    index, paths = indexed
    lib = open_index(index)  # one process, one open index: the app over a day of retrains
    heads = [RandomHead(f"20261121-13000{i}-e0000{i}", lib.embedder_spec["fingerprint"]) for i in range(5)]
    alive = []
    for head in heads:
        assert search_audio(lib, paths[:1], top=3, head=head)[0].error is None
        alive.append(weakref.ref(library_space(lib, head)[1]))
    library_space(lib, heads[3])  # the head before the last, switched back to
    gc.collect()
    assert [ref() is not None for ref in alive] == [False, False, False, True, True]
    assert HEAD_SPACES_IN_MEMORY == 2
