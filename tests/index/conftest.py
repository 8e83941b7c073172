"""Register the toy embedders (tests/index/toy_embedders.py) for index and search tests."""

import pytest
import toy_embedders

from timbre import embedders


@pytest.fixture(autouse=True)
def toy_registry(monkeypatch):
    for name, target in toy_embedders.REGISTRY.items():
        monkeypatch.setitem(embedders.BUILTIN, name, target)
    monkeypatch.setenv("TIMBRE_THREADS", "1")
