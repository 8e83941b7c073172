"""Metric learning over frozen embeddings: pair files, projection heads, training, registry."""
