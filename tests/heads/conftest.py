"""Register the head tests' toy embedder and keep torch on one thread."""

import pytest

from timbre import embedders


@pytest.fixture(autouse=True)
def headtoy_registry(monkeypatch):
    monkeypatch.setitem(embedders.BUILTIN, "headtoy", "heads_toy_embedder:HeadToyEmbedder")
    monkeypatch.setenv("TIMBRE_THREADS", "1")
