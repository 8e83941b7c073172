"""Searches on a full disk still answer and leave no temp files in the index cache."""

import errno
import os

import numpy as np

from timbre.index import open_index
from timbre.search import search_audio


class _Head:
    id = "plain"

    def __init__(self, fingerprint):
        self.embedder_fingerprint = fingerprint

    def project(self, vectors):
        return np.asarray(vectors, np.float32)


def test_a_full_disk_leaves_no_temp_files_in_the_cache(library, monkeypatch):
    import faiss

    index, paths = library
    expected = [[h.path for h in r.hits] for r in search_audio(index, paths, top=3)]

    def write_index(graph, target):
        with open(target, "wb") as fh:
            fh.write(b"half a graph")
        raise RuntimeError("Error in faiss::FileIOWriter: No space left on device")

    def fsync(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(faiss, "write_index", write_index)
    monkeypatch.setattr(os, "fsync", fsync)
    lib = open_index(index)
    hnsw = search_audio(lib, paths, top=3, method="hnsw")
    headed = search_audio(lib, paths, top=3, head=_Head(lib.embedder_spec["fingerprint"]))
    assert [[h.path for h in r.hits] for r in hnsw] == expected
    assert [[h.path for h in r.hits] for r in headed] == expected
    cache = os.path.join(index, "cache")
    assert [f for f in os.listdir(cache) if f.endswith(".tmp")] == []
