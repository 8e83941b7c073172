"""The learned embedder's input: log-mel frames cut into the windows it trained on."""

import numpy as np

from timbre.learned.features import CROP, N_MELS, SAMPLE_RATE, SILENT_LOG, fit_length, log_mel, windows


def _noise(seconds: float) -> np.ndarray:
    return (0.1 * np.random.default_rng(0).standard_normal(int(SAMPLE_RATE * seconds))).astype(np.float32)


def test_a_short_clip_is_one_window_padded_with_silence():
    frames = log_mel(_noise(0.5))
    cut = windows(frames)
    assert cut.shape == (1, CROP, N_MELS)
    assert (cut[0, len(frames):] == SILENT_LOG).all()


def test_a_long_clip_is_windows_half_a_window_apart_and_silence_is_left_out():
    sound = _noise(6.0)
    heard = windows(log_mel(sound))
    with_rest = windows(log_mel(np.concatenate([sound, np.zeros(SAMPLE_RATE * 4, np.float32)])))
    assert len(heard) >= 2 * len(log_mel(sound)) // CROP - 1
    assert len(with_rest) < len(heard) + 4  # the silent seconds add only the windows that overlap the sound


def test_silence_alone_still_gives_one_window():
    assert windows(log_mel(np.zeros(SAMPLE_RATE * 3, np.float32))).shape == (1, CROP, N_MELS)


def test_fit_length_cuts_at_random_only_when_asked():
    frames = np.arange(200 * N_MELS, dtype=np.float32).reshape(200, N_MELS)
    np.testing.assert_array_equal(fit_length(frames, CROP), frames[:CROP])
    cut = fit_length(frames, CROP, np.random.default_rng(3))
    assert cut.shape == (CROP, N_MELS) and cut[0, 0] % N_MELS == 0
