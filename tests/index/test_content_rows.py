"""Vectors kept per content: which keys a store holds is known without reading its vectors."""

import io

import numpy as np

from timbre.index import content_rows
from timbre.index.content_rows import ContentRows


def _rows(keys, per_key=3, dim=4):
    return {k: np.full((per_key, dim), i, np.float32) for i, k in enumerate(keys)}


def test_keys_are_what_load_returns_damaged_parts_included(tmp_path):
    store = ContentRows(str(tmp_path / "views"), 3)
    store.save(_rows(["a", "b"]))
    store.save(_rows(["c"]))
    buffer = io.BytesIO()  # a part whose vectors do not match its keys: not trusted by either
    np.savez(buffer, keys=np.array(["d", "e"]), vectors=np.zeros((5, 4), np.float32))
    (tmp_path / "views" / "part-damaged.npz").write_bytes(buffer.getvalue())
    (tmp_path / "views" / "part-truncated.npz").write_bytes(b"PK\x03\x04 not a zip")
    assert store.keys() == set(store.load()) == {"a", "b", "c"}
    assert ContentRows(str(tmp_path / "none"), 3).keys() == set()


def test_listing_keys_reads_no_vectors(tmp_path, monkeypatch):
    store = ContentRows(str(tmp_path / "views"), 3)
    store.save(_rows(["a", "b"]))
    monkeypatch.setattr(content_rows, "read_rows", lambda *a: (_ for _ in ()).throw(AssertionError("read")))
    assert store.keys() == {"a", "b"}
