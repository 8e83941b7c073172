"""The synth itself: every family sounds, and a preset's loop resembles its own preview."""

import numpy as np
import pytest

from timbre.bench.families import FAMILIES, sample_patch
from timbre.bench.patch import Preset, load_preset, save_preset
from timbre.bench.plan import TargetPlan
from timbre.bench.render import preview_audio, target_audio
from timbre.bench.synth import Note

SR = 44100


def _loop(preset: Preset, rng) -> np.ndarray:
    """Four notes within a fifth of the C3 preview (none at C3), rendered like a benchmark target."""
    notes = tuple(Note(0.5 * i, midi, 0.4) for i, midi in enumerate((50, 53, 45, 52)))
    return target_audio(TargetPlan("t", preset, "melody", notes, (), SR, 16, 0.9), rng)


def _mel_cepstrum(audio: np.ndarray, n_bands: int = 40, n_coefficients: int = 12) -> np.ndarray:
    """Cepstrum (c1..c12) of the mean log-mel spectrum over non-silent frames: a smooth spectral envelope."""
    frames = np.lib.stride_tricks.sliding_window_view(audio, 2048)[::1024] * np.hanning(2048)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(2048, 1 / SR)
    mel = 2595 * np.log10(1 + freqs / 700)
    centres = np.interp(np.linspace(mel[1], 2595 * np.log10(1 + 12000 / 700), n_bands + 2), mel, freqs)
    low, mid, high = centres[:-2, None], centres[1:-1, None], centres[2:, None]
    filterbank = np.maximum(0, np.minimum((freqs - low) / (mid - low), (high - freqs) / (high - mid)))
    energy = power.sum(axis=1)
    log_mel = np.log(power[energy > 1e-3 * energy.max()] @ filterbank.T + 1e-10).mean(axis=0)
    k = np.arange(n_bands)
    dct = np.cos(np.pi / n_bands * (k[None, :] + 0.5) * np.arange(1, n_coefficients + 1)[:, None])
    return dct @ log_mel


@pytest.fixture(scope="module")
def family_sounds():
    sounds = {}
    for index, family in enumerate(FAMILIES):
        preset = Preset(f"{family}-test", family, f"{family}-g", sample_patch(family, np.random.default_rng(index)))
        sounds[family] = (preset, preview_audio(preset, np.random.default_rng(0)), _loop(preset, np.random.default_rng(1)))
    return sounds


def test_every_family_renders_audible_unclipped_centred_audio(family_sounds):
    for family, (_, preview, loop) in family_sounds.items():
        for audio in (preview, loop):
            assert np.all(np.isfinite(audio)), family
            assert np.max(np.abs(audio)) <= 1.0, family
            assert np.sqrt(np.mean(audio**2)) > 1e-3, family
            assert abs(float(np.mean(audio))) < 0.01, family


def test_a_loop_is_nearest_to_its_own_preview_more_often_than_chance(family_sounds):
    previews = np.stack([_mel_cepstrum(p) for _, p, _ in family_sounds.values()])
    loops = np.stack([_mel_cepstrum(loop) for _, _, loop in family_sounds.values()])
    distances = np.linalg.norm(loops[:, None, :] - previews[None, :, :], axis=2)
    hits = int(np.sum(np.argmin(distances, axis=1) == np.arange(len(FAMILIES))))
    assert hits >= 3  # chance is 1 of 9


def test_preset_json_round_trips_to_the_same_sound(tmp_path, family_sounds):
    preset, preview, _ = family_sounds["bell"]
    save_preset(preset, tmp_path / "bell.json")
    loaded = load_preset(tmp_path / "bell.json")
    assert loaded == preset
    assert np.array_equal(preview_audio(loaded, np.random.default_rng(0)), preview)
