"""The ``mfcc`` baseline: 40-d unit vectors, deterministic, loudness-invariant."""

import numpy as np

from synth_timbres import melody, note, one_shot
from timbre.embedders import load_embedder


def test_mean_and_std_of_20_mfccs_unit_norm():
    embedder = load_embedder("mfcc")
    vectors = embedder.embed_audio([one_shot("saw_bright"), melody("organ")])
    assert embedder.dim == 40 and embedder.sample_rate == 22050
    assert vectors.shape == (2, 40) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert type(embedder).parallel_safe


def test_deterministic_and_loudness_invariant():
    embedder = load_embedder("mfcc")
    clip = melody("square_dark")
    a, b = embedder.embed_audio([clip, 0.1 * clip])
    np.testing.assert_array_equal(embedder.embed_audio([clip])[0], a)
    assert float(a @ b) > 0.999
    assert embedder.fingerprint() == load_embedder("mfcc").fingerprint()


def test_short_long_and_empty_batches():
    embedder = load_embedder("mfcc")
    short = note("organ", 60, 0.06)[: int(0.06 * 22050)]
    long = np.tile(melody("saw_bright"), 25)[: 60 * 22050]
    vectors = embedder.embed_audio([short, long])
    assert vectors.shape == (2, 40) and np.all(np.isfinite(vectors))
    assert embedder.embed_audio([]).shape == (0, 40)
