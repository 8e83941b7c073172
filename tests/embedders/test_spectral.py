"""The ``spectral`` embedder: shape, determinism, invariances and pitch-robust ranking."""

import numpy as np
import pytest

from synth_timbres import TIMBRES, melody, one_shot, note
from timbre.embedders import load_embedder


@pytest.fixture(scope="module")
def embedder():
    return load_embedder("spectral")


def _ranks_own_first(embedder) -> list[bool]:
    names = list(TIMBRES)
    shots = embedder.embed_audio([one_shot(n) for n in names])
    tunes = embedder.embed_audio([melody(n, seed=i) for i, n in enumerate(names)])
    return [int(np.argmax(tunes[i] @ shots.T)) == i for i in range(len(names))]


def test_vectors_are_unit_float32_of_declared_dim(embedder):
    vectors = embedder.embed_audio([one_shot("saw_bright"), melody("organ")])
    assert vectors.shape == (2, embedder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.sample_rate == 22050
    assert type(embedder).parallel_safe


def test_deterministic_across_calls_and_instances(embedder):
    clip = melody("pluck_pulse")
    first = embedder.embed_audio([clip])
    again = load_embedder("spectral").embed_audio([clip])
    np.testing.assert_array_equal(first, again)
    assert embedder.fingerprint() == load_embedder("spectral").fingerprint()


def test_loudness_invariant(embedder):
    clip = melody("square_dark")
    loud, quiet = embedder.embed_audio([clip, 0.1 * clip])
    assert float(loud @ quiet) > 0.999


def test_melodies_find_their_own_one_shot_among_timbres(embedder):
    assert sum(_ranks_own_first(embedder)) >= len(TIMBRES) - 1


def test_beats_or_matches_mfcc_on_pitch_shifted_retrieval(embedder):
    assert sum(_ranks_own_first(embedder)) >= sum(_ranks_own_first(load_embedder("mfcc")))


def test_same_timbre_other_pitch_beats_other_timbre_same_pitch(embedder):
    base, high, other = embedder.embed_audio(
        [one_shot("saw_bright"), note("saw_bright", 72, 1.5), one_shot("triangle_pad")])
    assert float(base @ high) > float(base @ other)


def test_handles_very_short_and_long_clips_in_one_batch(embedder):
    short = note("organ", 60, 0.06)[: int(0.06 * 22050)]
    long = np.tile(melody("saw_bright"), 25)[: 60 * 22050]
    vectors = embedder.embed_audio([short, long, one_shot("organ")])
    assert vectors.shape == (3, embedder.dim)
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_noise_and_empty_batch(embedder):
    noise = np.random.default_rng(0).standard_normal(22050).astype(np.float32) * 0.1
    vectors = embedder.embed_audio([noise])
    assert np.all(np.isfinite(vectors)) and abs(np.linalg.norm(vectors) - 1) < 1e-5
    assert embedder.embed_audio([]).shape == (0, embedder.dim)
