"""Fixtures of the neural-embedder tests (defined in ``tiny_models``)."""

from tiny_models import isolated_model_cache, tiny_clap_dir  # noqa: F401  (pytest fixtures)
