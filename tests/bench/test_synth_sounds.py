"""The synth itself: every family sounds, and a preset's loop resembles its own preview."""

import numpy as np
import pytest

from timbre.bench.families import FAMILIES, sample_patch
from timbre.bench.patch import Preset, load_preset, save_preset
from timbre.bench.plan import TargetPlan
from timbre.bench.render import preview_audio, target_audio
from timbre.bench.synth import Note

from bench_spectra import mel_cepstrum

SR = 44100


def _loop(preset: Preset, rng) -> np.ndarray:
    """Four notes within a fifth of the C3 preview (none at C3), rendered like a benchmark target."""
    notes = tuple(Note(0.5 * i, midi, 0.4) for i, midi in enumerate((50, 53, 45, 52)))
    return target_audio(TargetPlan("t", preset, "melody", notes, (), SR, 16, 0.9), rng)


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
    previews = np.stack([mel_cepstrum(p) for _, p, _ in family_sounds.values()])
    loops = np.stack([mel_cepstrum(loop) for _, _, loop in family_sounds.values()])
    distances = np.linalg.norm(loops[:, None, :] - previews[None, :, :], axis=2)
    hits = int(np.sum(np.argmin(distances, axis=1) == np.arange(len(FAMILIES))))
    assert hits >= 3  # chance is 1 of 9


def test_preset_json_round_trips_to_the_same_sound(tmp_path, family_sounds):
    preset, preview, _ = family_sounds["bell"]
    save_preset(preset, tmp_path / "bell.json")
    loaded = load_preset(tmp_path / "bell.json")
    assert loaded == preset
    assert np.array_equal(preview_audio(loaded, np.random.default_rng(0)), preview)
