"""Search tests reuse the toy embedders of tests/index and a small indexed library."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "index"))

import toy_embedders  # noqa: E402

from timbre import embedders  # noqa: E402


@pytest.fixture(autouse=True)
def toy_registry(monkeypatch):
    for name, target in toy_embedders.REGISTRY.items():
        monkeypatch.setitem(embedders.BUILTIN, name, target)


@pytest.fixture
def library(tmp_path):
    """(index path, preset paths) of 2 banks x 4 distinct tones indexed with the toy embedder."""
    from timbre.index import build_index

    paths = toy_embedders.make_library(tmp_path / "lib", banks=2, per_bank=4)
    index = str(tmp_path / "idx")
    build_index([str(tmp_path / "lib")], index, "toy", workers=0, views=())  # views: test_views_search.py
    return index, paths
